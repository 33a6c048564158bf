// Ordered fp32 vector compares for NEON kernels. On ARMv7 GCC expands vcgtq_f32 and
// vcltq_f32 (and vcgeq/vcleq) lane by lane through VFP compares and the flags, ~37
// instructions per vector instead of one VCGT: NEON flushes denormals to zero, so GCC will
// not use its compares for IEEE code. The kernels want NEON's compare (a denormal compares
// as zero, a NaN as false, like the ref's `x > y ? x : y` in every other case), so on ARMv7
// the instruction is written out; AArch64 compares are IEEE and stay intrinsics.
#pragma once

#include <arm_neon.h>

namespace sdk {

#if defined(__aarch64__)
__attribute__((always_inline)) inline uint32x4_t neon_cgt(float32x4_t a, float32x4_t b) { return vcgtq_f32(a, b); }
#else
__attribute__((always_inline)) inline uint32x4_t neon_cgt(float32x4_t a, float32x4_t b) {
    uint32x4_t r;
    __asm__("vcgt.f32 %q0, %q1, %q2" : "=w"(r) : "w"(a), "w"(b));
    return r;
}
#endif
// a < b
__attribute__((always_inline)) inline uint32x4_t neon_clt(float32x4_t a, float32x4_t b) { return neon_cgt(b, a); }

}  // namespace sdk
