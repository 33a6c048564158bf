// AVX2 Exp, kernels/vec_math.h; dispatched at run time by exp_best_f32.
#include "kernels/ref/unary.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include "kernels/x86/vec_target.h"

SDK_VEC_TARGET_BEGIN("avx2,fma")
#define SDK_VEC_AVX2 1
#include "kernels/x86/vec_x86.h"
#include "kernels/vec_math.h"

namespace sdk {
namespace x86 {

void exp_avx2(const float* x, float* y, int64_t n) {
    using V = VAvx2;
    vmath::span<V, vmath::Math<V>::exp>(x, y, n);
}

}  // namespace x86
}  // namespace sdk
SDK_VEC_TARGET_END
#endif
