// gelu: the scalar ref kernel (libm) and the dispatch to the best SIMD kernel of the build.
#include <math.h>

#include "kernels/ref/unary.h"

namespace sdk {
namespace ref {

void gelu_f32(const float* x, float* y, int64_t n, int approximate) {
    for (int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        y[i] = approximate ? 0.5f * v * (1.0f + tanhf(0.79788456080286536f * (v + 0.044715f * v * v * v)))
                           : 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    }
}

}  // namespace ref

void gelu_best_f32(const float* x, float* y, int64_t n, int approximate) {
    const int tier = vec_tier_f32();
    (void)tier;
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    if (tier) return neon::gelu_f32(x, y, n, approximate);
#elif SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#if defined(__x86_64__)
    if (tier == 2) return x86::gelu_avx512(x, y, n, approximate);
#endif
    if (tier == 1) return x86::gelu_avx2(x, y, n, approximate);
#endif
    ref::gelu_f32(x, y, n, approximate);
}

}  // namespace sdk
