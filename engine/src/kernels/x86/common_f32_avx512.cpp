// AVX-512 fp32 GEMM tile (x86_64; the AVX-512 tier of kernels/sgemm_x86.h, chosen at run
// time by x86_sgemm16_avx2 when x86_f32_avx512_enabled()). Same operands, layout and
// epilogue as the AVX2 6 x 16 tile: up to 12 rows x 32 columns (two 16-column blocks of
// B) in 24 ZMM accumulators, 2 loads of B and 12 broadcasts of A per 24 FMAs. A 512-bit
// FMA does the work of two 256-bit ones (no more multiply-adds per cycle on CPUs that
// split them), but the tile reads B half as often per multiply-add, the loop carries
// fewer instructions per multiply-add, and edges are mask registers, not blends.
#include "kernels/sgemm_x86.h"
#include "kernels/unroll.h"

#if SDK_FEATURE_X86 && defined(__x86_64__)
#include <immintrin.h>

#define SDK_X86_HOT512 SDK_HOT_TARGET("avx512f,avx2,fma")

namespace sdk {
namespace ref {
namespace {

inline __mmask16 lanes16(int64_t n) { return n <= 0 ? 0 : n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }

// MR rows x NV 16-column blocks (block v of B at B + v * bps); w columns are valid.
template <int MR, int NV>
SDK_X86_HOT512 void ztile(int K, const float* A, int64_t lda, const float* B, int64_t ldb, int64_t bps, float* C,
                          int64_t ldc, int w, const GemmEpilogue& e, int64_t row0) {
    __m512 c[MR][NV];
    SDK_UNROLL for (int r = 0; r < MR; ++r) SDK_UNROLL for (int v = 0; v < NV; ++v) c[r][v] = _mm512_setzero_ps();
    const float* a[MR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) a[r] = A + r * lda;
    const __mmask16 mk[2] = {lanes16(w), lanes16(w - 16)};
    if (w == 16 * NV) {
        for (int k = 0; k < K; ++k, B += ldb) {
            __m512 b[NV];
            SDK_UNROLL for (int v = 0; v < NV; ++v) b[v] = _mm512_loadu_ps(B + v * bps);
            SDK_UNROLL for (int r = 0; r < MR; ++r) {
                const __m512 av = _mm512_set1_ps(a[r][k]);
                SDK_UNROLL for (int v = 0; v < NV; ++v) c[r][v] = _mm512_fmadd_ps(av, b[v], c[r][v]);
            }
        }
    } else {
        // columns past w are never read (B can be a conv's input itself)
        for (int k = 0; k < K; ++k, B += ldb) {
            __m512 b[NV];
            SDK_UNROLL for (int v = 0; v < NV; ++v) b[v] = _mm512_maskz_loadu_ps(mk[v], B + v * bps);
            SDK_UNROLL for (int r = 0; r < MR; ++r) {
                const __m512 av = _mm512_set1_ps(a[r][k]);
                SDK_UNROLL for (int v = 0; v < NV; ++v) c[r][v] = _mm512_fmadd_ps(av, b[v], c[r][v]);
            }
        }
    }
    const bool relu = e.act.kind == kActRelu, clip = e.act.kind == kActClip;
    const __m512 zero = _mm512_setzero_ps(), lo = _mm512_set1_ps(e.act.lo), hi = _mm512_set1_ps(e.act.hi);
    const __m512 alpha = _mm512_set1_ps(e.alpha);
    SDK_UNROLL for (int r = 0; r < MR; ++r) {
        float* crow = C + r * ldc;
        const __m512 bias = _mm512_set1_ps(e.row_bias ? e.row_bias[row0 + r] : 0.0f);
        SDK_UNROLL for (int v = 0; v < NV; ++v) {
            __m512 o = c[r][v];
            if (e.alpha != 1.0f) o = _mm512_mul_ps(o, alpha);
            o = _mm512_add_ps(o, bias);
            if (e.accumulate) o = _mm512_add_ps(o, _mm512_maskz_loadu_ps(mk[v], crow + 16 * v));
            // act_f32's comparisons exactly (NaN: Relu -> 0, Clip keeps it)
            if (relu) o = _mm512_max_ps(o, zero);
            if (clip) o = _mm512_mask_mov_ps(_mm512_min_ps(hi, o), _mm512_cmp_ps_mask(o, lo, _CMP_LT_OQ), lo);
            if (w >= 16 * (v + 1))
                _mm512_storeu_ps(crow + 16 * v, o);
            else
                _mm512_mask_storeu_ps(crow + 16 * v, mk[v], o);
        }
        if (e.act.kind != kActNone && !relu && !clip) act_span_f32(crow, w, e.act);
    }
}

template <int MR>
SDK_X86_HOT512 void zrows(int64_t N, int K, const float* A, int64_t lda, const float* B, int64_t ldb, int64_t bps,
                          float* C, int64_t ldc, const GemmEpilogue& e, int64_t row0) {
    for (int64_t p = 0, j = 0; p < N; p += 32, j += 2) {
        const int w = N - p < 32 ? (int)(N - p) : 32;
        if (w > 16)
            ztile<MR, 2>(K, A, lda, B + j * bps, ldb, bps, C + p, ldc, w, e, row0);
        else
            ztile<MR, 1>(K, A, lda, B + j * bps, ldb, bps, C + p, ldc, w, e, row0);
    }
}

}  // namespace

void x86_sgemm16_avx512(int64_t M, int64_t N, int K, const float* A, int64_t lda, const float* B, int64_t ldb,
                        int64_t bps, float* C, int64_t ldc, const GemmEpilogue& e) {
    constexpr int R = 12;
    int64_t m = 0;
    for (; m + R <= M; m += R) {
        // the rows of A two tiles ahead into cache meanwhile (see x86_sgemm16_avx2)
        if (m + 3 * R <= M && N > 32)
            for (int r = 2 * R; r < 3 * R; ++r)
                for (int k = 0; k < K; k += 16) _mm_prefetch((const char*)(A + (m + r) * lda + k), _MM_HINT_T1);
        zrows<R>(N, K, A + m * lda, lda, B, ldb, bps, C + m * ldc, ldc, e, m);
    }
    const int64_t left = M - m;
    const float* a = A + m * lda;
    float* c = C + m * ldc;
    if (left >= 8) {
        zrows<8>(N, K, a, lda, B, ldb, bps, c, ldc, e, m);
        a += 8 * lda, c += 8 * ldc, m += 8;
    }
    if (M - m >= 4) {
        zrows<4>(N, K, a, lda, B, ldb, bps, c, ldc, e, m);
        a += 4 * lda, c += 4 * ldc, m += 4;
    }
    if (M - m >= 2) {
        zrows<2>(N, K, a, lda, B, ldb, bps, c, ldc, e, m);
        a += 2 * lda, c += 2 * ldc, m += 2;
    }
    if (M - m >= 1) zrows<1>(N, K, a, lda, B, ldb, bps, c, ldc, e, m);
}

}  // namespace ref
}  // namespace sdk
#endif
