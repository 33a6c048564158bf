// AVX2 + FMA fp32 GEMM micro-kernel for x86 / x86_64 (kernels/x86/common_f32.cpp), a
// drop-in for ref::sgemm_packed over the same packed panels and epilogue. The ABI
// baselines (SSSE3 / SSE4.2) lack AVX2, so it is chosen at run time; results differ from
// the portable kernel only by FMA rounding (tested within 1e-5 in engine/tests).
#pragma once

#include <stdint.h>

#include "kernels/ref/sgemm_f32.h"

namespace sdk {
namespace ref {

// Declared in sgemm_f32.h (the hook in sgemm_packed): x86_sgemm_avx2_enabled() is true
// when the CPU has AVX2 and FMA and SDK_F32_GEMM is not "ref"; x86_sgemm_packed_avx2()
// is the drop-in. Test hook: 1 on (if supported), 0 off, -1 back to auto.
void x86_sgemm_set_enabled(int on);

}  // namespace ref
}  // namespace sdk
