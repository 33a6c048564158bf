// AVX2 int8 GEMM for x86 / x86_64: the ABI baselines (SSSE3 / SSE4.2) lack AVX2, so this
// function carries its own target attribute and s8::gemm_kernel() calls it only after
// __builtin_cpu_supports("avx2"). 2 weight rows x 4 input columns per tile, 16 int8 of K
// per step: sign-extend to int16 (VPMOVSXBW) and VPMADDWD into int32 (exact).
#include "kernels/gemm_s8.h"

#include <string.h>

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include "kernels/unroll.h"  // SDK_HOT_TARGET

namespace sdk {
namespace s8 {
namespace {

__attribute__((target("avx2"), always_inline)) inline __m256i load16(const int8_t* p) {
    return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// {sum(a), sum(b), sum(c), sum(d)} of four int32x8 accumulators.
__attribute__((target("avx2"), always_inline)) inline __m128i hsum4x8(__m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i s = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
    return _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
}

// s8::mbqm of 4 accumulators on 64-bit lanes (VPMULDQ, add the rounding constant,
// arithmetic shift emulated with xor around a logical shift), then the output clamp
// applied before adding the zero point (the same result as saturate + add + clamp,
// without int32 overflow). Returns the 4 int32 results.
__attribute__((target("avx2"), always_inline)) inline __m128i requant4(__m128i acc, int32_t mult, int32_t shift, int32_t zp,
                                                        int32_t lo, int32_t hi) {
    const int total = 31 - shift;
    const __m256i v = _mm256_cvtepi32_epi64(acc);
    __m256i r = _mm256_add_epi64(_mm256_mul_epi32(v, _mm256_set1_epi64x(mult)),
                                 _mm256_set1_epi64x((long long)(int64_t(1) << (total - 1))));
    const __m256i sign = _mm256_cmpgt_epi64(_mm256_setzero_si256(), r);
    r = _mm256_xor_si256(_mm256_srl_epi64(_mm256_xor_si256(r, sign), _mm_cvtsi32_si128(total)), sign);
    const __m256i vlo = _mm256_set1_epi64x(lo - zp), vhi = _mm256_set1_epi64x(hi - zp);
    r = _mm256_blendv_epi8(r, vlo, _mm256_cmpgt_epi64(vlo, r));
    r = _mm256_blendv_epi8(r, vhi, _mm256_cmpgt_epi64(r, vhi));
    const __m256i packed = _mm256_permutevar8x32_epi32(r, _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0));
    return _mm_add_epi32(_mm256_castsi256_si128(packed), _mm_set1_epi32(zp));
}

// Requantizes and stores 4 accumulators of row m, columns n..n+3 (bias not yet added).
__attribute__((target("avx2"), always_inline)) inline void store4(const Gemm& g, int32_t m, int32_t n, __m128i acc) {
    acc = _mm_add_epi32(acc, _mm_set1_epi32(g.bias[m]));
    int32_t out[4];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out),
                     requant4(acc, g.mult[m], g.shift[m], g.out_zp, g.act_min, g.act_max));
    int8_t* y = g.y + m * g.ys_m + n * g.ys_n;
    for (int i = 0; i < 4; ++i) y[i * g.ys_n] = (int8_t)out[i];
}

}  // namespace

SDK_HOT_TARGET("avx2") void gemm_avx2(const Gemm& g, int32_t m0, int32_t m1, int32_t n0, int32_t n1) {
    const int32_t kp = g.kp;
    int32_t m = m0;
    for (; m + 2 <= m1; m += 2) {
        const int8_t* w0 = g.w + (int64_t)m * kp;
        const int8_t* w1 = w0 + kp;
        int32_t n = n0;
        for (; n + 4 <= n1; n += 4) {
            // named accumulators, not arrays: -Os builds do not unroll array loops
            const int8_t* x0 = g.x + (int64_t)n * kp;
            const int8_t *x1 = x0 + kp, *x2 = x1 + kp, *x3 = x2 + kp;
            __m256i a00 = _mm256_setzero_si256(), a01 = a00, a02 = a00, a03 = a00;
            __m256i a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            for (int32_t k = 0; k < kp; k += 16) {
                const __m256i vw0 = load16(w0 + k), vw1 = load16(w1 + k);
                __m256i vx = load16(x0 + k);
                a00 = _mm256_add_epi32(a00, _mm256_madd_epi16(vw0, vx));
                a10 = _mm256_add_epi32(a10, _mm256_madd_epi16(vw1, vx));
                vx = load16(x1 + k);
                a01 = _mm256_add_epi32(a01, _mm256_madd_epi16(vw0, vx));
                a11 = _mm256_add_epi32(a11, _mm256_madd_epi16(vw1, vx));
                vx = load16(x2 + k);
                a02 = _mm256_add_epi32(a02, _mm256_madd_epi16(vw0, vx));
                a12 = _mm256_add_epi32(a12, _mm256_madd_epi16(vw1, vx));
                vx = load16(x3 + k);
                a03 = _mm256_add_epi32(a03, _mm256_madd_epi16(vw0, vx));
                a13 = _mm256_add_epi32(a13, _mm256_madd_epi16(vw1, vx));
            }
            store4(g, m, n, hsum4x8(a00, a01, a02, a03));
            store4(g, m + 1, n, hsum4x8(a10, a11, a12, a13));
        }
        for (; n < n1; ++n) {  // column tail (Gemm with one row of A: the classifier)
            const int8_t* x0 = g.x + (int64_t)n * kp;
            __m256i a0 = _mm256_setzero_si256(), a1 = a0;
            for (int32_t k = 0; k < kp; k += 16) {
                const __m256i vx = load16(x0 + k);
                a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(load16(w0 + k), vx));
                a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(load16(w1 + k), vx));
            }
            const __m128i s = hsum4x8(a0, a1, a1, a1);
            g.y[m * g.ys_m + n * g.ys_n] = gemm_out(g, m, g.bias[m] + _mm_cvtsi128_si32(s));
            g.y[(m + 1) * g.ys_m + n * g.ys_n] = gemm_out(g, m + 1, g.bias[m + 1] + _mm_extract_epi32(s, 1));
        }
    }
    if (m < m1) gemm_ref(g, m, m1, n0, n1);
}

SDK_HOT_TARGET("avx2") void requant_row_avx2(const int32_t* acc, int32_t n, int32_t mult, int32_t shift,
                                                      int32_t zp, int32_t lo, int32_t hi, int8_t* y) {
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128i a = requant4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(acc + i)), mult, shift, zp, lo, hi);
        const __m128i b =
            requant4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(acc + i + 4)), mult, shift, zp, lo, hi);
        const __m128i w = _mm_packs_epi32(a, b);  // values are already in [lo, hi]: packs are exact
        _mm_storel_epi64(reinterpret_cast<__m128i*>(y + i), _mm_packs_epi16(w, w));
    }
    for (; i + 4 <= n; i += 4) {
        const __m128i a = requant4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(acc + i)), mult, shift, zp, lo, hi);
        const __m128i w = _mm_packs_epi32(a, a);
        const int32_t four = _mm_cvtsi128_si32(_mm_packs_epi16(w, w));
        memcpy(y + i, &four, 4);
    }
    if (i < n) requant_row_ref(acc + i, n - i, mult, shift, zp, lo, hi, y + i);
}

}  // namespace s8
}  // namespace sdk
#endif
