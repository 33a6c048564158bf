// NEON sums behind GlobalAveragePool (kernels/neon/globalaveragepool_{f32,s8}.cpp),
// chosen by kernels/ref/globalaveragepool_{f32,s8}.cpp with the NEON tiers (fp32:
// neon_sgemm_enabled(); int8: SDK_INT8_GEMM=ref keeps the ref loop).
#pragma once

#include <stdint.h>

#if SDK_FEATURE_NEON && defined(__ARM_NEON)

namespace sdk {
namespace ref {
// Sum of n floats in 16 lanes (4 accumulators), then the lanes: a different order from
// the ref's running sum, so within rounding of it.
float neon_sum_f32(const float* x, int64_t n);
}  // namespace ref
namespace s8 {
// Exact sum of n int8 (SADDLP + SADALP); n * 128 must fit int32.
int32_t neon_sum_s8(const int8_t* x, int32_t n);
}  // namespace s8
}  // namespace sdk

#endif
