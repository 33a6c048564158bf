// Softmax and LogSoftmax (fp32), the `softmax` kernel group: kernels/ref/softmax_f32.cpp,
// with SIMD rows in kernels/neon/softmax_f32.cpp (ARMv7 and AArch64) and
// kernels/x86/softmax_f32.cpp (AVX2 + FMA, chosen at run time).
#pragma once

#include <stdint.h>

#include "core/op.h"

namespace sdk {
namespace ref {

// Along an axis of extent n; outer/inner are the products of the dims before/after it.
// log: LogSoftmax (x - max - log(sum(exp(x - max)))).
void softmax_f32(const float* x, float* y, int64_t outer, int64_t n, int64_t inner, bool log, ThreadPool* pool);

// One contiguous row of n (inner == 1): the ref row and the SIMD ones (same contract).
void softmax_row_f32(const float* x, float* y, int64_t n, bool log);
// w (<= 64) neighbouring lanes of an (n, inner) slab starting at x / y (inner > 1: e.g.
// over channels of NCHW, YOLOv8's DFL): per lane max, sum of exp, outputs.
constexpr int64_t kSoftmaxLanes = 64;
void softmax_lanes_f32(const float* x, float* y, int64_t n, int64_t inner, int64_t w, bool log);
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
void neon_softmax_row_f32(const float* x, float* y, int64_t n, bool log);
void neon_softmax_lanes_f32(const float* x, float* y, int64_t n, int64_t inner, int64_t w, bool log);
#endif
#if SDK_FEATURE_X86
void x86_softmax_row_avx2(const float* x, float* y, int64_t n, bool log);
void x86_softmax_lanes_avx2(const float* x, float* y, int64_t n, int64_t inner, int64_t w, bool log);
#endif

}  // namespace ref
}  // namespace sdk
