// AVX2 HardSwish, Sigmoid and SiLU (act_vec_f32's x86 tiers, kernels/ref/act_f32.h): the
// standalone ops and the activations fused into Conv/Gemm/Add, chosen at run time.
#include "kernels/ref/act_f32.h"
#include "kernels/ref/unary.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include "kernels/x86/vec_target.h"

SDK_VEC_TARGET_BEGIN("avx2,fma")
#define SDK_VEC_AVX2 1
#include "kernels/x86/vec_x86.h"
#include "kernels/vec_math.h"

namespace sdk {
namespace x86 {

void act_vec_avx2(const float* x, float* y, int64_t n, int32_t kind) {
    using M = vmath::Math<VAvx2>;
    if (kind == kActSigmoid) return vmath::span<VAvx2, M::sigmoid>(x, y, n);
    if (kind == kActSiLU) return vmath::span<VAvx2, M::silu>(x, y, n);
    if (kind == kActHardSwish) return vmath::span<VAvx2, M::hardswish>(x, y, n);
}

}  // namespace x86
}  // namespace sdk
SDK_VEC_TARGET_END
#endif
