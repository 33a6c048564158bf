// AVX2 + FMA softmax row of the fp32 Attention kernel (kernels/ref/attention_f32.cpp),
// chosen at run time with the fp32 AVX2 tier: the same steps as its 4-lane softmax_row
// (max; e^(x - max) with Cephes' expf, exactly 0 below -87.3 so masked keys weigh nothing;
// one scale by 1 / sum) on 8 lanes, two vectors per iteration.
#include "kernels/ref/attention.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include <math.h>

#include "kernels/unroll.h"
#include "kernels/x86/exp_flush_avx2.h"

#define SDK_ATTN_HOT SDK_HOT_TARGET("avx2,fma")

namespace sdk {
namespace ref {

using x86::exp8_flush;

SDK_ATTN_HOT void x86_attn_softmax_row_avx2(float* sc, int64_t L) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(L & 7)), lane);
    const int64_t L8 = L & ~(int64_t)7;
    __m256 vm = _mm256_set1_ps(-INFINITY);
    int64_t t = 0;
    for (; t < L8; t += 8) vm = _mm256_max_ps(vm, _mm256_loadu_ps(sc + t));
    if (t < L)
        vm = _mm256_max_ps(vm, _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), _mm256_maskload_ps(sc + t, tail),
                                                _mm256_castsi256_ps(tail)));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(vm), _mm256_extractf128_ps(vm, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
    float m = _mm_cvtss_f32(h);
    if (m == -INFINITY) m = 0.0f;
    const __m256 bm = _mm256_set1_ps(m);
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    for (t = 0; t + 16 <= L8; t += 16) {
        const __m256 e0 = exp8_flush(_mm256_sub_ps(_mm256_loadu_ps(sc + t), bm));
        const __m256 e1 = exp8_flush(_mm256_sub_ps(_mm256_loadu_ps(sc + t + 8), bm));
        _mm256_storeu_ps(sc + t, e0);
        _mm256_storeu_ps(sc + t + 8, e1);
        s0 = _mm256_add_ps(s0, e0);
        s1 = _mm256_add_ps(s1, e1);
    }
    for (; t < L8; t += 8) {
        const __m256 e = exp8_flush(_mm256_sub_ps(_mm256_loadu_ps(sc + t), bm));
        _mm256_storeu_ps(sc + t, e);
        s0 = _mm256_add_ps(s0, e);
    }
    if (t < L) {
        const __m256 e = _mm256_and_ps(exp8_flush(_mm256_sub_ps(_mm256_maskload_ps(sc + t, tail), bm)),
                                       _mm256_castsi256_ps(tail));
        _mm256_maskstore_ps(sc + t, tail, e);
        s1 = _mm256_add_ps(s1, e);
    }
    const __m256 vs = _mm256_add_ps(s0, s1);
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(vs), _mm256_extractf128_ps(vs, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_shuffle_ps(q, q, 1));
    const float s = _mm_cvtss_f32(q);
    const __m256 r = _mm256_set1_ps(s == 0.0f ? 1.0f : 1.0f / s);
    for (t = 0; t < L8; t += 8) _mm256_storeu_ps(sc + t, _mm256_mul_ps(_mm256_loadu_ps(sc + t), r));
    if (t < L) _mm256_maskstore_ps(sc + t, tail, _mm256_mul_ps(_mm256_maskload_ps(sc + t, tail), r));
}

}  // namespace ref
}  // namespace sdk
#endif
