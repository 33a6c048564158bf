// AVX2 QuantizeLinear (f32 -> int8), bit-exact with ops/quantizelinear.cpp's loop: IEEE
// division, round half to even (VROUNDPS nearest = nearbyintf in the default mode), NaN
// -> zero point, clamp, convert. Called only after s8::cpu_has_avx2().
#include <stdint.h>

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include "kernels/unroll.h"  // SDK_HOT_TARGET

namespace sdk {
namespace s8 {

// y[i] for i in [0, n) in steps of 16; returns how many it did (the caller finishes the tail).
SDK_HOT_TARGET("avx2") int64_t quantize_f32_avx2(const float* x, int64_t n, float scale, int32_t zp,
                                                          int8_t* y) {
    const __m256 s = _mm256_set1_ps(scale), z = _mm256_set1_ps((float)zp);
    const __m256 lo = _mm256_set1_ps(-128.0f), hi = _mm256_set1_ps(127.0f);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i q[2];
        for (int h = 0; h < 2; ++h) {
            __m256 v = _mm256_div_ps(_mm256_loadu_ps(x + i + 8 * h), s);
            v = _mm256_add_ps(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), z);
            v = _mm256_blendv_ps(v, z, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));  // NaN -> zero point
            q[h] = _mm256_cvttps_epi32(_mm256_min_ps(_mm256_max_ps(v, lo), hi));
        }
        const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(q[0], q[1]), 0xD8);  // 16 int16 in order
        _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i),
                         _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1)));
    }
    return i;
}

}  // namespace s8
}  // namespace sdk
#endif
