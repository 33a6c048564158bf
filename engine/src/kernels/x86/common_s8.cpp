// AVX2 int8 GEMM for x86 / x86_64: the ABI baselines (SSSE3 / SSE4.2) lack AVX2, so this
// function carries its own target attribute and s8::gemm_kernel() calls it only after
// __builtin_cpu_supports("avx2"). 2 weight rows x 4 input columns per tile, 16 int8 of K
// per step: sign-extend to int16 (VPMOVSXBW) and VPMADDWD into int32 (exact).
#include "kernels/gemm_s8.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>

namespace sdk {
namespace s8 {
namespace {

__attribute__((target("avx2"))) inline __m256i load16(const int8_t* p) {
    return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// {sum(a), sum(b), sum(c), sum(d)} of four int32x8 accumulators.
__attribute__((target("avx2"))) inline __m128i hsum4x8(__m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i s = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
    return _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
}

// Requantizes 4 accumulators of row m (bias not yet added) and stores them: s8::mbqm on
// 64-bit lanes (VPMULDQ, add the rounding constant, arithmetic shift emulated with xor
// around a logical shift), then the output clamp applied before adding the zero point
// (the same result as saturate + add + clamp, without int32 overflow).
__attribute__((target("avx2"))) inline void store4(const Gemm& g, int32_t m, int32_t n, __m128i acc) {
    acc = _mm_add_epi32(acc, _mm_set1_epi32(g.bias[m]));
    const int total = 31 - g.shift[m];
    const __m256i v = _mm256_cvtepi32_epi64(acc);
    __m256i r = _mm256_add_epi64(_mm256_mul_epi32(v, _mm256_set1_epi64x(g.mult[m])),
                                 _mm256_set1_epi64x((long long)(int64_t(1) << (total - 1))));
    const __m256i sign = _mm256_cmpgt_epi64(_mm256_setzero_si256(), r);
    r = _mm256_xor_si256(_mm256_srl_epi64(_mm256_xor_si256(r, sign), _mm_cvtsi32_si128(total)), sign);
    const __m256i lo = _mm256_set1_epi64x(g.act_min - g.out_zp), hi = _mm256_set1_epi64x(g.act_max - g.out_zp);
    r = _mm256_blendv_epi8(r, lo, _mm256_cmpgt_epi64(lo, r));
    r = _mm256_blendv_epi8(r, hi, _mm256_cmpgt_epi64(r, hi));
    const __m256i packed = _mm256_permutevar8x32_epi32(r, _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0));
    int32_t out[4];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out),
                     _mm_add_epi32(_mm256_castsi256_si128(packed), _mm_set1_epi32(g.out_zp)));
    int8_t* y = g.y + m * g.ys_m + n * g.ys_n;
    for (int i = 0; i < 4; ++i) y[i * g.ys_n] = (int8_t)out[i];
}

}  // namespace

__attribute__((target("avx2"))) void gemm_avx2(const Gemm& g, int32_t m0, int32_t m1, int32_t n0, int32_t n1) {
    const int32_t kp = g.kp;
    int32_t m = m0;
    for (; m + 2 <= m1; m += 2) {
        const int8_t* w0 = g.w + (int64_t)m * kp;
        const int8_t* w1 = w0 + kp;
        int32_t n = n0;
        for (; n + 4 <= n1; n += 4) {
            const int8_t* x0 = g.x + (int64_t)n * kp;
            __m256i a[2][4];
            for (int i = 0; i < 2; ++i)
                for (int j = 0; j < 4; ++j) a[i][j] = _mm256_setzero_si256();
            for (int32_t k = 0; k < kp; k += 16) {
                const __m256i vw0 = load16(w0 + k), vw1 = load16(w1 + k);
                for (int j = 0; j < 4; ++j) {
                    const __m256i vx = load16(x0 + (int64_t)j * kp + k);
                    a[0][j] = _mm256_add_epi32(a[0][j], _mm256_madd_epi16(vw0, vx));
                    a[1][j] = _mm256_add_epi32(a[1][j], _mm256_madd_epi16(vw1, vx));
                }
            }
            for (int i = 0; i < 2; ++i) store4(g, m + i, n, hsum4x8(a[i][0], a[i][1], a[i][2], a[i][3]));
        }
        if (n < n1) gemm_ref(g, m, m + 2, n, n1);
    }
    if (m < m1) gemm_ref(g, m, m1, n0, n1);
}

}  // namespace s8
}  // namespace sdk
#endif
