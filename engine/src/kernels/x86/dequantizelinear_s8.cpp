// AVX2 DequantizeLinear (int8 -> f32), bit-exact with ops/dequantizelinear.cpp's loop:
// (float)(x - zp) (exact) times the scale, one IEEE multiply. Called only after
// s8::cpu_has_avx2().
#include <stdint.h>

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include "kernels/unroll.h"  // SDK_HOT_TARGET

namespace sdk {
namespace s8 {

// y[i] for i in [0, n) in steps of 16; returns how many it did (the caller finishes the tail).
SDK_HOT_TARGET("avx2") int64_t dequantize_s8_avx2(const int8_t* x, int64_t n, float scale, int32_t zp,
                                                           float* y) {
    const __m256 s = _mm256_set1_ps(scale);
    const __m256i z = _mm256_set1_epi32(zp);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i));
        const __m256i a = _mm256_sub_epi32(_mm256_cvtepi8_epi32(v), z);
        const __m256i b = _mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_srli_si128(v, 8)), z);
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_cvtepi32_ps(a), s));
        _mm256_storeu_ps(y + i + 8, _mm256_mul_ps(_mm256_cvtepi32_ps(b), s));
    }
    return i;
}

}  // namespace s8
}  // namespace sdk
#endif
