// SSE4.1 int8 GEMM tier (x86 / x86_64 CPUs without AVX2: Android x86 devices, old hosts):
// a drop-in s8::GemmKernel over the dot-product layout of kernels/gemm_s8.h, so int8 Conv
// (non-depthwise: 1x1 and im2col) and Gemm use it through s8::gemm_kernel(). 8 int8 of K
// per step: sign-extend to int16 (PMOVSXBW, SSE4.1) and PMADDWD into int32 (|w| <= 127,
// |x| <= 128: exact); the requantization is the shared scalar gemm_out(), so results are
// bit-exact with gemm_ref by construction.
//
// s8::gemm_kernel() picks it when the CPU has SSE4.1 and lacks AVX2, or when
// SDK_INT8_GEMM=sse41 forces it (how tests exercise it on AVX2 machines).
#include "kernels/gemm_s8.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>

#include "kernels/unroll.h"

#define SDK_SSE41_HOT SDK_HOT_TARGET("sse4.1")

namespace sdk {
namespace s8 {
namespace {

// x86_64 (16 XMM registers): 2 weight rows x 4 input columns = 8 accumulators + 2 weight
// vectors + 1 input vector. i686 (8 registers): 1 row x 4 columns.
#if defined(__x86_64__)
constexpr int kRows = 2;
#else
constexpr int kRows = 1;
#endif

template <int MR, int NR>
SDK_SSE41_HOT void block(const Gemm& g, int32_t m, int32_t n) {
    const int32_t kp = g.kp;
    const int8_t* w[MR];
    const int8_t* x[NR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) w[r] = g.w + (int64_t)(m + r) * kp;
    SDK_UNROLL for (int c = 0; c < NR; ++c) x[c] = g.x + (int64_t)(n + c) * kp;
    __m128i acc[MR][NR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) SDK_UNROLL for (int c = 0; c < NR; ++c) acc[r][c] = _mm_setzero_si128();
    for (int32_t k = 0; k < kp; k += 8) {  // kp is a multiple of 16
        __m128i vw[MR];
        SDK_UNROLL for (int r = 0; r < MR; ++r)
            vw[r] = _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w[r] + k)));
        SDK_UNROLL for (int c = 0; c < NR; ++c) {
            const __m128i vx = _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(x[c] + k)));
            SDK_UNROLL for (int r = 0; r < MR; ++r) acc[r][c] = _mm_add_epi32(acc[r][c], _mm_madd_epi16(vw[r], vx));
        }
    }
    SDK_UNROLL for (int r = 0; r < MR; ++r) {
        // {sum(acc[r][0]), ..., sum(acc[r][3])} with two rounds of PHADDD (SSSE3)
        int32_t s[4];
        const __m128i a0 = acc[r][0], a1 = acc[r][NR > 1 ? 1 : 0], a2 = acc[r][NR > 2 ? 2 : 0],
                      a3 = acc[r][NR > 3 ? 3 : 0];
        _mm_storeu_si128(reinterpret_cast<__m128i*>(s), _mm_hadd_epi32(_mm_hadd_epi32(a0, a1), _mm_hadd_epi32(a2, a3)));
        int8_t* y = g.y + (int64_t)(m + r) * g.ys_m + (int64_t)n * g.ys_n;
        SDK_UNROLL for (int c = 0; c < NR; ++c) y[c * g.ys_n] = gemm_out(g, m + r, g.bias[m + r] + s[c]);
    }
}

template <int MR>
void rows(const Gemm& g, int32_t m, int32_t n0, int32_t n1) {
    int32_t n = n0;
    for (; n + 4 <= n1; n += 4) block<MR, 4>(g, m, n);
    for (; n < n1; ++n) block<MR, 1>(g, m, n);  // column tail (Gemm with one row of A: the classifier)
}

}  // namespace

bool cpu_has_sse41() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.1");
}

void gemm_sse41(const Gemm& g, int32_t m0, int32_t m1, int32_t n0, int32_t n1) {
    int32_t m = m0;
    for (; m + kRows <= m1; m += kRows) rows<kRows>(g, m, n0, n1);
    for (; m < m1; ++m) rows<1>(g, m, n0, n1);
}

}  // namespace s8
}  // namespace sdk
#endif
