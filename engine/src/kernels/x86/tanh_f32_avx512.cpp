// AVX512 Tanh, kernels/vec_math.h; dispatched at run time by tanh_best_f32.
#include "kernels/ref/unary.h"

#if SDK_FEATURE_X86 && defined(__x86_64__)
#include "kernels/x86/vec_target.h"

SDK_VEC_TARGET_BEGIN("avx512f,avx2,fma")
#define SDK_VEC_AVX512 1
#include "kernels/x86/vec_x86.h"
#include "kernels/vec_math.h"

namespace sdk {
namespace x86 {

void tanh_avx512(const float* x, float* y, int64_t n) {
    using V = VAvx512;
    vmath::span<V, vmath::Math<V>::tanh>(x, y, n);
}

}  // namespace x86
}  // namespace sdk
SDK_VEC_TARGET_END
#endif
