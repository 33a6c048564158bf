// NEON HardSwish (ARMv7 and AArch64): the HardSwish op and the fused activation of
// Conv/Gemm/Add (hardswish_span_f32, kernels/ref/act_f32.h).
#include "kernels/ref/unary.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include "kernels/neon/vec_neon.h"
#include "kernels/vec_math.h"

namespace sdk {
namespace neon {

void hardswish_f32(const float* x, float* y, int64_t n) { vmath::span<VNeon, vmath::Math<VNeon>::hardswish>(x, y, n); }

}  // namespace neon
}  // namespace sdk
#endif
