// NEON Tanh (ARMv7 and AArch64), kernels/vec_math.h; dispatched by tanh_best_f32.
#include "kernels/ref/unary.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include "kernels/neon/vec_neon.h"
#include "kernels/vec_math.h"

namespace sdk {
namespace neon {

void tanh_f32(const float* x, float* y, int64_t n) {
    vmath::span<VNeon, vmath::Math<VNeon>::tanh>(x, y, n);
}

}  // namespace neon
}  // namespace sdk
#endif
