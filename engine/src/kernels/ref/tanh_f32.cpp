// tanh: the scalar ref kernel (libm) and the dispatch to the best SIMD kernel of the build.
#include <math.h>

#include "kernels/ref/unary.h"

namespace sdk {
namespace ref {

void tanh_f32(const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = tanhf(x[i]);
}

}  // namespace ref

void tanh_best_f32(const float* x, float* y, int64_t n) {
    const int tier = vec_tier_f32();
    (void)tier;
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    if (tier) return neon::tanh_f32(x, y, n);
#elif SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#if defined(__x86_64__)
    if (tier == 2) return x86::tanh_avx512(x, y, n);
#endif
    if (tier == 1) return x86::tanh_avx2(x, y, n);
#endif
    ref::tanh_f32(x, y, n);
}

}  // namespace sdk
