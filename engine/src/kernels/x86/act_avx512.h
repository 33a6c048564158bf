// Sigmoid / SiLU / HardSwish on 16 fp32 lanes (AVX-512F), for the register epilogues of the
// AVX-512 GEMM tile (common_f32_avx512.cpp) and depthwise kernels (conv_f32_avx512.cpp): the
// AVX2 span's steps (kernels/x86/common_f32.cpp), so a fused activation needs no pass over
// the stored output. Include only from files compiled for x86_64.
#pragma once

#if defined(__x86_64__)
#include <immintrin.h>

namespace sdk {
namespace ref {
namespace {

// e^x and 1 / (1 + e^-x) on 16 lanes: x86_exp_avx2 / x86_sigmoid_avx2's steps
// (kernels/x86/common_f32.cpp) on ZMM registers, so the tile's SiLU/Sigmoid epilogue
// runs on the register instead of in a pass over the stored row.
__attribute__((target("avx512f,avx2,fma"), always_inline)) inline __m512 zexp(__m512 x) {
    x = _mm512_min_ps(_mm512_set1_ps(88.0f), x);  // NaN (second operand) passes through
    x = _mm512_max_ps(_mm512_set1_ps(-87.3365447504f), x);
    const __m512 magic = _mm512_set1_ps(12582912.0f);  // 1.5 * 2^23: adding it rounds
    const __m512 n = _mm512_sub_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), magic), magic);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
    __m512 p = _mm512_fmadd_ps(r, _mm512_set1_ps(1.9875691500e-4f), _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
    const __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvttps_epi32(n), _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(p, _mm512_castsi512_ps(e));
}

__attribute__((target("avx512f,avx2,fma"), always_inline)) inline __m512 zsigmoid(__m512 x, bool silu) {
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 s = _mm512_div_ps(one, _mm512_add_ps(one, zexp(_mm512_sub_ps(_mm512_setzero_ps(), x))));
    // below -88 the true value underflows to 0 (see x86_sigmoid_avx2)
    s = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(-88.0f), _CMP_NLT_UQ), s);
    const __m512 y = silu ? _mm512_mul_ps(x, s) : s;
    return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);  // NaN in, NaN out
}

// HardSwish as the vector form of hardswish_f32 (kernels/vec_math.h): x * clamp(x / 6 + 1/2, 0, 1)
__attribute__((target("avx512f,avx2,fma"), always_inline)) inline __m512 zhardswish(__m512 x) {
    __m512 t = _mm512_fmadd_ps(x, _mm512_set1_ps(1.0f / 6.0f), _mm512_set1_ps(0.5f));
    t = _mm512_mask_mov_ps(t, _mm512_cmp_ps_mask(t, _mm512_setzero_ps(), _CMP_LT_OQ), _mm512_setzero_ps());
    t = _mm512_mask_mov_ps(t, _mm512_cmp_ps_mask(t, _mm512_set1_ps(1.0f), _CMP_GT_OQ), _mm512_set1_ps(1.0f));
    return _mm512_mul_ps(x, t);
}

}  // namespace
}  // namespace ref
}  // namespace sdk
#endif
