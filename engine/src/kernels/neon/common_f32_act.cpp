// NEON HardSwish, Sigmoid and SiLU (act_vec_f32's NEON tier, kernels/ref/act_f32.h): the
// standalone ops and the activations fused into Conv/Gemm/Add. ARMv7 and AArch64.
#include "kernels/ref/act_f32.h"
#include "kernels/ref/unary.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include "kernels/neon/vec_neon.h"
#include "kernels/vec_math.h"

namespace sdk {
namespace neon {

void act_vec_f32(const float* x, float* y, int64_t n, int32_t kind) {
    using M = vmath::Math<VNeon>;
    if (kind == kActSigmoid) return vmath::span<VNeon, M::sigmoid>(x, y, n);
    if (kind == kActSiLU) return vmath::span<VNeon, M::silu>(x, y, n);
    if (kind == kActHardSwish) return vmath::span<VNeon, M::hardswish>(x, y, n);
}

}  // namespace neon
}  // namespace sdk
#endif
