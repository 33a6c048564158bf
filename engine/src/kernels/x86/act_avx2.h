// Fused activations on 8 fp32 lanes (AVX2 + FMA) for the epilogues of the AVX2 GEMM tiles
// (common_f32.cpp) and the direct conv kernels (conv_f32.cpp): the same steps as the AVX2 spans
// (x86_sigmoid_span_avx2; HardSwish as kernels/vec_math.h), so the output has the bits a pass
// over the stored row would give it. An out-of-line span call per 16-column row doubled the
// time of a 1x1 conv with HardSwish and tripled it with SiLU.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include "core/op.h"  // Activation

namespace sdk {
namespace ref {
namespace {

__attribute__((target("avx2,fma"), always_inline)) inline __m256 x86_exp_avx2(__m256 x) {
    x = _mm256_min_ps(_mm256_set1_ps(88.0f), x);  // NaN (second operand) passes through
    x = _mm256_max_ps(_mm256_set1_ps(-87.3365447504f), x);
    const __m256 magic = _mm256_set1_ps(12582912.0f);  // 1.5 * 2^23: adding it rounds
    const __m256 n = _mm256_sub_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), magic), magic);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fmadd_ps(n, _mm256_set1_ps(2.12194440e-4f), r);
    __m256 p = _mm256_fmadd_ps(r, _mm256_set1_ps(1.9875691500e-4f), _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

__attribute__((target("avx2,fma"), always_inline)) inline __m256 x86_sigmoid_avx2(__m256 x, bool silu) {
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 s = _mm256_div_ps(one, _mm256_add_ps(one, x86_exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), x))));
    // below -88 the true value underflows to 0 (the clamped exp would leave ~6e-39, which a
    // huge x times it, SiLU, makes large)
    s = _mm256_andnot_ps(_mm256_cmp_ps(x, _mm256_set1_ps(-88.0f), _CMP_LT_OQ), s);
    const __m256 y = silu ? _mm256_mul_ps(x, s) : s;
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));  // NaN in, NaN out
}

// x * clamp(x / 6 + 1/2, 0, 1): vmath::Math<VAvx2>::hardswish's steps (FMA, then the clamps)
__attribute__((target("avx2,fma"), always_inline)) inline __m256 x86_hardswish_avx2(__m256 x) {
    __m256 t = _mm256_fmadd_ps(x, _mm256_set1_ps(1.0f / 6.0f), _mm256_set1_ps(0.5f));
    t = _mm256_blendv_ps(t, _mm256_setzero_ps(), _mm256_cmp_ps(t, _mm256_setzero_ps(), _CMP_LT_OQ));
    t = _mm256_blendv_ps(t, _mm256_set1_ps(1.0f), _mm256_cmp_ps(t, _mm256_set1_ps(1.0f), _CMP_GT_OQ));
    return _mm256_mul_ps(x, t);
}

// The fused activations applied on a register (act_f32's comparisons exactly: NaN -> 0 for
// Relu, kept by Clip); kind is the same for a whole layer: the branches predict. Sigmoid and
// SiLU (an exp and a division: ~25 instructions) are not: inlined into every unrolled store
// of every tile they added ~95 KB to the x86 library; they run over the stored rows instead,
// one call per tile (x86_sigmoid_rows_avx2) or per plane.
inline bool x86_act_in_register(int kind) {
    return kind == kActNone || kind == kActRelu || kind == kActClip || kind == kActHardSwish;
}

__attribute__((target("avx2,fma"), always_inline)) inline __m256 x86_act_avx2(__m256 v, int kind, __m256 lo,
                                                                              __m256 hi) {
    switch (kind) {
        case kActRelu: return _mm256_max_ps(v, _mm256_setzero_ps());
        case kActClip: return _mm256_blendv_ps(_mm256_min_ps(hi, v), lo, _mm256_cmp_ps(v, lo, _CMP_LT_OQ));
        case kActHardSwish: return x86_hardswish_avx2(v);
        default: return v;
    }
}

}  // namespace

// Sigmoid (silu: SiLU) in place over rows [0, rows) of C (ldc apart), columns [0, w), w <= 16:
// a tile's epilogue after its stores (kernels/x86/common_f32.cpp).
void x86_sigmoid_rows_avx2(float* C, int64_t ldc, int rows, int w, bool silu);
}  // namespace ref
}  // namespace sdk
#endif
