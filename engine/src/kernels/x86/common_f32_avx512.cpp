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

#include "kernels/x86/act_avx512.h"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12's AVX-512 intrinsics pass an undefined vector as the unused merge source, which
// -Wmaybe-uninitialized reports (as in conv_f32_avx512.cpp)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#define SDK_X86_HOT512 SDK_HOT_TARGET("avx512f,avx2,fma")

namespace sdk {
namespace ref {
namespace {

inline __mmask16 lanes16(int64_t n) { return n <= 0 ? 0 : n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }

// The epilogue of a register tile: MR rows x NV 16-column vectors, C's columns [0, w) (w
// may end inside any vector): alpha, row bias, accumulate, then Relu/Clip on the register
// (act_f32's comparisons exactly: NaN -> 0 for Relu, kept by Clip); other activations over
// the stored row.
template <int MR, int NV>
__attribute__((target("avx512f,avx2,fma"), always_inline)) inline void zepilogue(__m512 (&c)[MR][NV], float* C,
                                                                              int64_t ldc, int w,
                                                                              const GemmEpilogue& e, int64_t row0) {
    __mmask16 mk[NV];
    SDK_UNROLL for (int v = 0; v < NV; ++v) mk[v] = lanes16(w - 16 * v);
    const bool relu = e.act.kind == kActRelu, clip = e.act.kind == kActClip, hswish = e.act.kind == kActHardSwish;
    const bool sig = e.act.kind == kActSigmoid || e.act.kind == kActSilu, silu = e.act.kind == kActSilu;
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
            if (relu) o = _mm512_max_ps(o, zero);
            if (clip) o = _mm512_mask_mov_ps(_mm512_min_ps(hi, o), _mm512_cmp_ps_mask(o, lo, _CMP_LT_OQ), lo);
            if (hswish) o = zhardswish(o);
            if (sig) o = zsigmoid(o, silu);
            if (w >= 16 * (v + 1))
                _mm512_storeu_ps(crow + 16 * v, o);
            else
                _mm512_mask_storeu_ps(crow + 16 * v, mk[v], o);
        }
        if (e.act.kind != kActNone && !relu && !clip && !hswish && !sig) act_span_f32(crow, w, e.act);
    }
}

// MR rows x NV 16-column blocks (block v of B at B + v * bps); w columns are valid.
// pf (or nullptr): MR rows of A (lda apart) to fetch into L2 meanwhile, one 64-byte line
// per step of k spread over the loop (the weights of a later row block: read once per run,
// they come from memory; a burst of prefetches before the tile stalled on the fill buffers).
template <int MR, int NV>
SDK_X86_HOT512 void ztile(int K, const float* A, int64_t lda, const float* B, int64_t ldb, int64_t bps, float* C,
                          int64_t ldc, int w, const GemmEpilogue& e, int64_t row0, const float* pf = nullptr) {
    __m512 c[MR][NV];
    SDK_UNROLL for (int r = 0; r < MR; ++r) SDK_UNROLL for (int v = 0; v < NV; ++v) c[r][v] = _mm512_setzero_ps();
    const float* a[MR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) a[r] = A + r * lda;
    __mmask16 mk[NV];
    SDK_UNROLL for (int v = 0; v < NV; ++v) mk[v] = lanes16(w - 16 * v);
    if (w == 16 * NV && pf) {
        const float* pr = pf;  // the line of row r, column pk of pf
        int r = 0, pk = 0;
        for (int k = 0; k < K; ++k, B += ldb) {
            if (pk < K) _mm_prefetch((const char*)(pr + pk), _MM_HINT_T1);
            pr += lda;
            if (++r == MR) {
                r = 0;
                pr = pf;
                pk += 16;
            }
            __m512 b[NV];
            SDK_UNROLL for (int v = 0; v < NV; ++v) b[v] = _mm512_loadu_ps(B + v * bps);
            SDK_UNROLL for (int r2 = 0; r2 < MR; ++r2) {
                const __m512 av = _mm512_set1_ps(a[r2][k]);
                SDK_UNROLL for (int v = 0; v < NV; ++v) c[r2][v] = _mm512_fmadd_ps(av, b[v], c[r2][v]);
            }
        }
        // rows whose lines the loop did not reach (K < 16 * MR: fewer steps than lines)
        for (; pk < K; pk += 16, r = 0, pr = pf)
            for (; r < MR; ++r, pr += lda) _mm_prefetch((const char*)(pr + pk), _MM_HINT_T1);
    } else if (w == 16 * NV) {
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
    zepilogue<MR, NV>(c, C, ldc, w, e, row0);
}

// Column c of C for MR rows: dot(A's row r (K floats), col) with the tile's epilogue in scalar
// form, 4 rows at a time (4 FMA chains). The 1-2 last columns of a 7x7 plane (49 = 48 + 1),
// computed while the row block's weights are in L1 (a separate pass over all rows read the
// weights from memory again: 15-18 % of a 1x1 conv over 1024 channels on 7x7).
template <int MR>
SDK_X86_HOT512 void zdots(int K, const float* A, int64_t lda, const float* col, float* C, int64_t ldc,
                          const GemmEpilogue& e, int64_t row0) {
    const __mmask16 tail = lanes16(K & 15);
    const int k16 = K & ~15;
    for (int r0 = 0; r0 < MR; r0 += 4) {
        constexpr int Q = MR < 4 ? MR : 4;
        __m512 acc[Q];
        SDK_UNROLL for (int q = 0; q < Q; ++q) acc[q] = _mm512_setzero_ps();
        int k = 0;
        for (; k < k16; k += 16) {
            const __m512 cv = _mm512_loadu_ps(col + k);
            SDK_UNROLL for (int q = 0; q < Q; ++q)
                acc[q] = _mm512_fmadd_ps(_mm512_loadu_ps(A + (r0 + q) * lda + k), cv, acc[q]);
        }
        if (k < K) {
            const __m512 cv = _mm512_maskz_loadu_ps(tail, col + k);
            SDK_UNROLL for (int q = 0; q < Q; ++q)
                acc[q] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, A + (r0 + q) * lda + k), cv, acc[q]);
        }
        SDK_UNROLL for (int q = 0; q < Q; ++q) {
            float o = _mm512_reduce_add_ps(acc[q]);
            if (e.alpha != 1.0f) o *= e.alpha;
            if (e.row_bias) o += e.row_bias[row0 + r0 + q];
            float* d = C + (r0 + q) * ldc;
            if (e.accumulate) o += *d;
            *d = e.act.kind != kActNone ? act_f32(o, e.act) : o;
        }
    }
}

template <int MR>
SDK_X86_HOT512 void zrows(int64_t N, int K, const float* A, int64_t lda, const float* B, int64_t ldb, int64_t bps,
                          float* C, int64_t ldc, const GemmEpilogue& e, int64_t row0, const float* pf = nullptr,
                          const float* tails = nullptr, int ntail = 0) {
    for (int t = 0; t < ntail; ++t) zdots<MR>(K, A, lda, tails + (int64_t)t * K, C + N + t, ldc, e, row0);
    for (int64_t p = 0, j = 0; p < N; p += 32, j += 2) {
        const int w = N - p < 32 ? (int)(N - p) : 32;
        if (w == 32 && pf) {  // the next rows' prefetch in the first full tile
            ztile<MR, 2>(K, A, lda, B + j * bps, ldb, bps, C + p, ldc, w, e, row0, pf);
            pf = nullptr;
        } else if (w > 16)
            ztile<MR, 2>(K, A, lda, B + j * bps, ldb, bps, C + p, ldc, w, e, row0);
        else
            ztile<MR, 1>(K, A, lda, B + j * bps, ldb, bps, C + p, ldc, w, e, row0);
    }
}

// ---- The same tile over ref::sgemm_pack_b's 8-column panels (sgemm_packed: Gemm, MatMul,
// Attention): a ZMM holds row k of two neighbouring panels (two 256-bit loads, one
// insert), so the panels need no 16-column repack and every caller keeps its layout.
// A's element (m, k) at A[m * ars + k * acs] (acs != 1: Gemm's transA).
template <int MR, int NZ, bool HALF>  // HALF: the last ZMM has one panel (its upper 8 lanes 0)
SDK_X86_HOT512 void ptile(int K, const float* A, int64_t ars, int64_t acs, const float* Bp, float* C, int64_t ldc,
                          int w, const GemmEpilogue& e, int64_t row0) {
    __m512 c[MR][NZ];
    SDK_UNROLL for (int r = 0; r < MR; ++r) SDK_UNROLL for (int v = 0; v < NZ; ++v) c[r][v] = _mm512_setzero_ps();
    const float* a[MR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) a[r] = A + r * ars;
    const float* b[2 * NZ];
    SDK_UNROLL for (int q = 0; q < 2 * NZ; ++q) b[q] = Bp + (int64_t)q * K * kNR;
    for (int64_t k = 0, kb = 0; k < K; ++k, kb += kNR) {
        __m512 bv[NZ];
        SDK_UNROLL for (int v = 0; v < NZ; ++v) {
            const __m512 lo = _mm512_zextps256_ps512(_mm256_loadu_ps(b[2 * v] + kb));
            if (HALF && v == NZ - 1)
                bv[v] = lo;  // upper lanes zero
            else
                bv[v] = _mm512_castpd_ps(
                    _mm512_insertf64x4(_mm512_castps_pd(lo), _mm256_castps_pd(_mm256_loadu_ps(b[2 * v + 1] + kb)), 1));
        }
        SDK_UNROLL for (int r = 0; r < MR; ++r) {
            const __m512 av = _mm512_set1_ps(a[r][k * acs]);
            SDK_UNROLL for (int v = 0; v < NZ; ++v) c[r][v] = _mm512_fmadd_ps(av, bv[v], c[r][v]);
        }
    }
    zepilogue<MR, NZ>(c, C, ldc, w, e, row0);
}

template <int MR>
SDK_X86_HOT512 void prows(int nc, int K, const float* A, int64_t ars, int64_t acs, const float* Bp, float* C,
                          int64_t ldc, const GemmEpilogue& e, int64_t row0) {
    for (int p = 0; p < nc; p += 32) {
        const int w = nc - p < 32 ? nc - p : 32;
        const float* panel = Bp + (int64_t)(p / kNR) * K * kNR;
        if (w > 24)
            ptile<MR, 2, false>(K, A, ars, acs, panel, C + p, ldc, w, e, row0);
        else if (w > 16)
            ptile<MR, 2, true>(K, A, ars, acs, panel, C + p, ldc, w, e, row0);
        else if (w > 8)
            ptile<MR, 1, false>(K, A, ars, acs, panel, C + p, ldc, w, e, row0);
        else
            ptile<MR, 1, true>(K, A, ars, acs, panel, C + p, ldc, w, e, row0);
    }
}

}  // namespace

void x86_sgemm_packed_avx512(int64_t M, int nc, int K, const float* A, int64_t ars, int64_t acs, const float* Bp,
                             float* C, int64_t ldc, const GemmEpilogue& e) {
    int64_t m = 0;
    for (; m + 12 <= M; m += 12) prows<12>(nc, K, A + m * ars, ars, acs, Bp, C + m * ldc, ldc, e, m);
    if (M - m >= 8) {
        prows<8>(nc, K, A + m * ars, ars, acs, Bp, C + m * ldc, ldc, e, m);
        m += 8;
    }
    if (M - m >= 4) {
        prows<4>(nc, K, A + m * ars, ars, acs, Bp, C + m * ldc, ldc, e, m);
        m += 4;
    }
    if (M - m >= 2) {
        prows<2>(nc, K, A + m * ars, ars, acs, Bp, C + m * ldc, ldc, e, m);
        m += 2;
    }
    if (M - m >= 1) prows<1>(nc, K, A + m * ars, ars, acs, Bp, C + m * ldc, ldc, e, m);
}

void x86_sgemm16_avx512(int64_t M, int64_t N, int K, const float* A, int64_t lda, const float* B, int64_t ldb,
                        int64_t bps, float* C, int64_t ldc, const GemmEpilogue& e, const float* tails, int ntail) {
    constexpr int R = 12;
    // Weights that cannot stay in L2 between runs (over 1 MB: resnet50's 1x1 and 3x3 convs on
    // 7x7 and 14x14) stream from memory: the rows two tiles ahead are fetched into L2 meanwhile,
    // a line per step of the first full tile's loop (a burst of prefetches before the tile
    // stalled on the fill buffers). Smaller ones are in L2 already: a burst, or nothing.
    const bool stream = M * lda > (1 << 18);
    // N = 32 i + 48 (7x7 planes after their dot column: 48; 112-pixel tiles): the last 48
    // columns in 8 x 48 tiles (3 loads of B and 8 broadcasts per 24 multiply-adds) rather than
    // a 12 x 32 and a 12 x 16 tile (the latter 13 loads per 12: bound by the loads)
    if (N >= 48 && N % 32 == 16) {
        const int64_t n0 = N - 48;
        if (n0 > 0) x86_sgemm16_avx512(M, n0, K, A, lda, B, ldb, bps, C, ldc, e);
        const float* B48 = B + (n0 / 16) * bps;
        float* C48 = C + n0;
        int64_t m = 0;
        for (; m + 8 <= M; m += 8) {
            const float* pf = stream && m + 24 <= M ? A + (m + 16) * lda : nullptr;
            ztile<8, 3>(K, A + m * lda, lda, B48, ldb, bps, C48 + m * ldc, ldc, 48, e, m, pf);
            for (int t = 0; t < ntail; ++t) zdots<8>(K, A + m * lda, lda, tails + (int64_t)t * K, C48 + m * ldc + 48 + t, ldc, e, m);
        }
        if (M - m >= 4) {
            ztile<4, 3>(K, A + m * lda, lda, B48, ldb, bps, C48 + m * ldc, ldc, 48, e, m);
            for (int t = 0; t < ntail; ++t) zdots<4>(K, A + m * lda, lda, tails + (int64_t)t * K, C48 + m * ldc + 48 + t, ldc, e, m);
            m += 4;
        }
        if (M - m >= 2) {
            ztile<2, 3>(K, A + m * lda, lda, B48, ldb, bps, C48 + m * ldc, ldc, 48, e, m);
            for (int t = 0; t < ntail; ++t) zdots<2>(K, A + m * lda, lda, tails + (int64_t)t * K, C48 + m * ldc + 48 + t, ldc, e, m);
            m += 2;
        }
        if (M - m >= 1) {
            ztile<1, 3>(K, A + m * lda, lda, B48, ldb, bps, C48 + m * ldc, ldc, 48, e, m);
            for (int t = 0; t < ntail; ++t) zdots<1>(K, A + m * lda, lda, tails + (int64_t)t * K, C48 + m * ldc + 48 + t, ldc, e, m);
        }
        return;
    }
    int64_t m = 0;
    for (; m + R <= M; m += R) {
        const float* pf = nullptr;
        if (m + 3 * R <= M && N >= 32) {
            if (stream)
                pf = A + (m + 2 * R) * lda;
            else
                for (int r = 2 * R; r < 3 * R; ++r)
                    for (int k = 0; k < K; k += 16) _mm_prefetch((const char*)(A + (m + r) * lda + k), _MM_HINT_T1);
        }
        zrows<R>(N, K, A + m * lda, lda, B, ldb, bps, C + m * ldc, ldc, e, m, pf, tails, ntail);
    }
    const int64_t left = M - m;
    const float* a = A + m * lda;
    float* c = C + m * ldc;
    if (left >= 8) {
        zrows<8>(N, K, a, lda, B, ldb, bps, c, ldc, e, m, nullptr, tails, ntail);
        a += 8 * lda, c += 8 * ldc, m += 8;
    }
    if (M - m >= 4) {
        zrows<4>(N, K, a, lda, B, ldb, bps, c, ldc, e, m, nullptr, tails, ntail);
        a += 4 * lda, c += 4 * ldc, m += 4;
    }
    if (M - m >= 2) {
        zrows<2>(N, K, a, lda, B, ldb, bps, c, ldc, e, m, nullptr, tails, ntail);
        a += 2 * lda, c += 2 * ldc, m += 2;
    }
    if (M - m >= 1) zrows<1>(N, K, a, lda, B, ldb, bps, c, ldc, e, m, nullptr, tails, ntail);
}

}  // namespace ref
}  // namespace sdk
#endif
