// The vector interfaces of kernels/vec_math.h for x86: VAvx2 (8 float lanes, AVX2 + FMA,
// with SDK_VEC_AVX2) and VAvx512 (16 lanes, AVX-512F, x86_64, with SDK_VEC_AVX512).
// Include inside a target region (kernels/x86/vec_target.h).
#pragma once

#include <immintrin.h>
#include <stdint.h>

namespace sdk {

#if defined(SDK_VEC_AVX2)
struct VAvx2 {
    using F = __m256;
    using M = __m256;
    using I = __m256i;
    static constexpr int kLanes = 8;
    static inline F set(float v) { return _mm256_set1_ps(v); }
    static inline F load(const float* p) { return _mm256_loadu_ps(p); }
    static inline void store(float* p, F v) { _mm256_storeu_ps(p, v); }
    static inline F add(F a, F b) { return _mm256_add_ps(a, b); }
    static inline F sub(F a, F b) { return _mm256_sub_ps(a, b); }
    static inline F mul(F a, F b) { return _mm256_mul_ps(a, b); }
    static inline F fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
    static inline F div(F a, F b) { return _mm256_div_ps(a, b); }
    static inline F floor(F a) { return _mm256_floor_ps(a); }
    static inline F min(F a, F b) { return _mm256_min_ps(a, b); }
    static inline F max(F a, F b) { return _mm256_max_ps(a, b); }
    static inline F abs(F a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
    static inline M lt(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
    static inline M gt(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
    static inline M is_nan(F a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
    static inline F sel(M m, F a, F b) { return _mm256_blendv_ps(b, a, m); }
    static inline I cvt_i(F a) { return _mm256_cvtps_epi32(a); }
    static inline F pow2i(I n) {
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
    }
};
#endif

#if defined(SDK_VEC_AVX512) && defined(__x86_64__)
struct VAvx512 {
    using F = __m512;
    using M = __mmask16;
    using I = __m512i;
    static constexpr int kLanes = 16;
    static inline F set(float v) { return _mm512_set1_ps(v); }
    static inline F load(const float* p) { return _mm512_loadu_ps(p); }
    static inline void store(float* p, F v) { _mm512_storeu_ps(p, v); }
    static inline F add(F a, F b) { return _mm512_add_ps(a, b); }
    static inline F sub(F a, F b) { return _mm512_sub_ps(a, b); }
    static inline F mul(F a, F b) { return _mm512_mul_ps(a, b); }
    static inline F fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
    static inline F div(F a, F b) { return _mm512_div_ps(a, b); }
    static inline F floor(F a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
    static inline F min(F a, F b) { return _mm512_min_ps(a, b); }
    static inline F max(F a, F b) { return _mm512_max_ps(a, b); }
    static inline F abs(F a) {
        return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(0x7fffffff)));
    }
    static inline M lt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
    static inline M gt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
    static inline M is_nan(F a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
    static inline F sel(M m, F a, F b) { return _mm512_mask_blend_ps(m, b, a); }
    static inline I cvt_i(F a) { return _mm512_cvtps_epi32(a); }
    static inline F pow2i(I n) {
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n, _mm512_set1_epi32(127)), 23));
    }
};
#endif

}  // namespace sdk
