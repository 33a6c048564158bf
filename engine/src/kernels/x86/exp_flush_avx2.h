// e^x on 8 lanes for the softmax rows (Softmax/LogSoftmax, Attention): Cephes' expf (range
// reduction by ln 2 in two parts, degree-6 polynomial, 2^n through the exponent bits; within
// 2 ulp of expf) and exactly 0 below -87.34, where expf's result is subnormal. Softmax adds
// the terms of x - max, so a flushed term weighs less than 2^-126 of the sum, and a masked
// key (-inf or a huge negative bias) weighs exactly nothing.
// Include inside a translation unit compiled for x86; the function carries its own target.
#pragma once

#include <immintrin.h>

namespace sdk {
namespace x86 {

__attribute__((target("avx2,fma"), always_inline)) inline __m256 exp8_flush(__m256 x) {
    const __m256 under = _mm256_cmp_ps(x, _mm256_set1_ps(-87.3365448f), _CMP_LT_OQ);
    x = _mm256_min_ps(x, _mm256_set1_ps(88.3762626f));
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.3365448f));
    const __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
    __m256 y = _mm256_set1_ps(1.9875691500e-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
    const __m256i n = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
    return _mm256_andnot_ps(under, _mm256_mul_ps(y, _mm256_castsi256_ps(n)));
}

}  // namespace x86
}  // namespace sdk
