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

__attribute__((target("avx2"))) inline int32_t hsum8(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

__attribute__((target("avx2"))) inline __m256i load16(const int8_t* p) {
    return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
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
            for (int i = 0; i < 2; ++i)
                for (int j = 0; j < 4; ++j)
                    g.y[(m + i) * g.ys_m + (n + j) * g.ys_n] = gemm_out(g, m + i, g.bias[m + i] + hsum8(a[i][j]));
        }
        if (n < n1) gemm_ref(g, m, m + 2, n, n1);
    }
    if (m < m1) gemm_ref(g, m, m1, n0, n1);
}

}  // namespace s8
}  // namespace sdk
#endif
