// AVX2 + FMA fp32 GEMM (see kernels/sgemm_x86.h): 8 rows x 8 columns per register tile
// (one YMM accumulator per row, 8 independent FMA chains), then 4- and 1-row tiles; the
// epilogue matches ref::sgemm_tile (alpha, accumulate, row bias, fused activation).
#include "kernels/sgemm_x86.h"
#include "kernels/unroll.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"  // str_eq
#include "kernels/x86/act_avx2.h"

namespace sdk {
namespace ref {
namespace {

// -1 unknown, 0 off, 1 on. A plain global (no function-local static): set once, read
// with relaxed atomics, every writer stores the same value.
int g_state = -1;

template <int MR>
__attribute__((target("avx2,fma"))) inline void tile(int K, const float* A, int64_t ars, int64_t acs,
                                                     const float* panel, float* C, int64_t ldc, int w,
                                                     const GemmEpilogue& e, int64_t row0) {
    __m256 c[MR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) c[r] = _mm256_setzero_ps();
    const float* a[MR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) a[r] = A + r * ars;
    for (int k = 0; k < K; ++k) {
        const __m256 b = _mm256_loadu_ps(panel + (int64_t)k * kNR);
        SDK_UNROLL for (int r = 0; r < MR; ++r) c[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(a[r] + k * acs), b, c[r]);
    }
    // the activation on the register (act_avx2.h), a partial tile's over its stored row
    const __m256 lo = _mm256_set1_ps(e.act.lo), hi = _mm256_set1_ps(e.act.hi);
    SDK_UNROLL for (int r = 0; r < MR; ++r) {
        __m256 o = c[r];
        if (e.alpha != 1.0f) o = _mm256_mul_ps(o, _mm256_set1_ps(e.alpha));
        if (e.row_bias) o = _mm256_add_ps(o, _mm256_set1_ps(e.row_bias[row0 + r]));
        float* crow = C + r * ldc;
        if (w == kNR) {
            if (e.accumulate) o = _mm256_add_ps(o, _mm256_loadu_ps(crow));
            _mm256_storeu_ps(crow, x86_act_avx2(o, e.act.kind, lo, hi));
        } else {
            float tmp[kNR];
            _mm256_storeu_ps(tmp, o);
            for (int j = 0; j < w; ++j) crow[j] = e.accumulate ? crow[j] + tmp[j] : tmp[j];
            if (e.act.kind != kActNone) act_span_f32(crow, w, e.act);
        }
    }
    if (w == kNR && !x86_act_in_register(e.act.kind))
        x86_sigmoid_rows_avx2(C, ldc, MR, w, e.act.kind == kActSilu);
}

}  // namespace

bool x86_sgemm_avx2_enabled() {
    int s = __atomic_load_n(&g_state, __ATOMIC_RELAXED);
    if (s < 0) {
        __builtin_cpu_init();
        const char* force = getenv("SDK_F32_GEMM");
        // "sse41" forces the SSE4.1 tier (kernels/x86/common_f32_sse41.cpp): AVX2 off
        s = (!force || (!str_eq(force, "ref") && !str_eq(force, "sse41"))) && __builtin_cpu_supports("avx2") &&
                    __builtin_cpu_supports("fma")
                ? 1
                : 0;
        __atomic_store_n(&g_state, s, __ATOMIC_RELAXED);
    }
    return s == 1;
}

void x86_sgemm_set_enabled(int on) {
    __builtin_cpu_init();
    const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    __atomic_store_n(&g_state, on < 0 ? -1 : (on && ok ? 1 : 0), __ATOMIC_RELAXED);
}

namespace {
int g_state512 = -1;  // like g_state
}  // namespace

bool x86_f32_avx512_enabled() {
    if (!x86_sgemm_avx2_enabled()) return false;
#if defined(__x86_64__)
    int s = __atomic_load_n(&g_state512, __ATOMIC_RELAXED);
    if (s < 0) {
        const char* force = getenv("SDK_F32_GEMM");
        s = (!force || !str_eq(force, "avx2")) && __builtin_cpu_supports("avx512f") ? 1 : 0;
        __atomic_store_n(&g_state512, s, __ATOMIC_RELAXED);
    }
    return s == 1;
#else
    return false;
#endif
}

void x86_f32_set_avx512(int on) {
    __builtin_cpu_init();
    const bool ok = __builtin_cpu_supports("avx512f");
    __atomic_store_n(&g_state512, on < 0 ? -1 : (on && ok ? 1 : 0), __ATOMIC_RELAXED);
}

namespace {

#if !defined(__i386__)
// MR rows x two adjacent whole 8-column panels (16 columns; the second K * kNR floats after the
// first): 2 loads of B and MR broadcasts of A per 2 * MR FMAs, where the 8 x 8 tile does one load
// per FMA. Each output's sum runs over k in the same order as in tile<MR>: the same bits.
template <int MR>
SDK_X86_HOT void tile2(int K, const float* A, int64_t ars, int64_t acs, const float* panel, float* C, int64_t ldc,
                       const GemmEpilogue& e, int64_t row0) {
    __m256 c0[MR], c1[MR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) c0[r] = c1[r] = _mm256_setzero_ps();
    const float* a[MR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) a[r] = A + r * ars;
    const float* p1 = panel + (int64_t)K * kNR;
    for (int k = 0; k < K; ++k) {
        const __m256 b0 = _mm256_loadu_ps(panel + (int64_t)k * kNR), b1 = _mm256_loadu_ps(p1 + (int64_t)k * kNR);
        SDK_UNROLL for (int r = 0; r < MR; ++r) {
            const __m256 av = _mm256_broadcast_ss(a[r] + k * acs);
            c0[r] = _mm256_fmadd_ps(av, b0, c0[r]);
            c1[r] = _mm256_fmadd_ps(av, b1, c1[r]);
        }
    }
    const __m256 lo = _mm256_set1_ps(e.act.lo), hi = _mm256_set1_ps(e.act.hi);
    SDK_UNROLL for (int r = 0; r < MR; ++r) {
        __m256 o0 = c0[r], o1 = c1[r];
        if (e.alpha != 1.0f) {
            o0 = _mm256_mul_ps(o0, _mm256_set1_ps(e.alpha));
            o1 = _mm256_mul_ps(o1, _mm256_set1_ps(e.alpha));
        }
        if (e.row_bias) {
            o0 = _mm256_add_ps(o0, _mm256_set1_ps(e.row_bias[row0 + r]));
            o1 = _mm256_add_ps(o1, _mm256_set1_ps(e.row_bias[row0 + r]));
        }
        float* crow = C + r * ldc;
        if (e.accumulate) {
            o0 = _mm256_add_ps(o0, _mm256_loadu_ps(crow));
            o1 = _mm256_add_ps(o1, _mm256_loadu_ps(crow + 8));
        }
        _mm256_storeu_ps(crow, x86_act_avx2(o0, e.act.kind, lo, hi));
        _mm256_storeu_ps(crow + 8, x86_act_avx2(o1, e.act.kind, lo, hi));
    }
    if (!x86_act_in_register(e.act.kind)) x86_sigmoid_rows_avx2(C, ldc, MR, 2 * kNR, e.act.kind == kActSilu);
}
#endif

__attribute__((target("avx2,fma"))) void packed_avx2(int64_t M, int nc, int K, const float* A, int64_t ars,
                                                           int64_t acs, const float* Bp, float* C, int64_t ldc,
                                                           const GemmEpilogue& e) {
    int p0 = 0;
#if !defined(__i386__)
    // pairs of whole panels on the 6 x 16 tile; the rows past a multiple of 6 and the last odd or
    // partial panel on the 8 x 8 tile below
    for (; p0 + 2 * kNR <= nc && M >= 6; p0 += 2 * kNR) {
        const float* panel = Bp + (int64_t)(p0 / kNR) * K * kNR;
        int64_t m = 0;
        for (; m + 6 <= M; m += 6) tile2<6>(K, A + m * ars, ars, acs, panel, C + m * ldc + p0, ldc, e, m);
        for (int h = 0; h < 2; ++h) {
            const float* ph = panel + (int64_t)h * K * kNR;
            float* ch = C + p0 + h * kNR;
            int64_t q = m;
            for (; q + 4 <= M; q += 4) tile<4>(K, A + q * ars, ars, acs, ph, ch + q * ldc, ldc, kNR, e, q);
            for (; q < M; ++q) tile<1>(K, A + q * ars, ars, acs, ph, ch + q * ldc, ldc, kNR, e, q);
        }
    }
#endif
    for (int p = p0; p < nc; p += kNR) {
        const int w = nc - p < kNR ? nc - p : kNR;
        const float* panel = Bp + (int64_t)(p / kNR) * K * kNR;
        int64_t m = 0;
        for (; m + 8 <= M; m += 8) tile<8>(K, A + m * ars, ars, acs, panel, C + m * ldc + p, ldc, w, e, m);
        for (; m + 4 <= M; m += 4) tile<4>(K, A + m * ars, ars, acs, panel, C + m * ldc + p, ldc, w, e, m);
        for (; m < M; ++m) tile<1>(K, A + m * ars, ars, acs, panel, C + m * ldc + p, ldc, w, e, m);
    }
}

// Rows of the main tile. Clang has no per-function optimize attribute, and at -Os it
// spills one of 12 accumulators (x86_64 has 16 vector registers): 5 x 16 there.
#if defined(__clang__) && defined(__OPTIMIZE_SIZE__)
constexpr int kTileRows = 5;
#else
constexpr int kTileRows = 6;
#endif

// ---- 6 x 16 tile over B read in place (row stride ldb): 12 YMM accumulators, 2 loads of
// B and 6 broadcasts of A per 12 FMAs, so the FMA ports, not the loads, set the pace.
// Columns past w are masked (never read or written), so B can be a conv input itself.
template <int MR, int NV>
SDK_X86_HOT void tile16(int K, const float* A, int64_t lda, const float* B, int64_t ldb,
                                                float* C, int64_t ldc, int w, const GemmEpilogue& e, int64_t row0) {
    __m256 c[MR][NV];
    SDK_UNROLL for (int r = 0; r < MR; ++r) SDK_UNROLL for (int v = 0; v < NV; ++v) c[r][v] = _mm256_setzero_ps();
    // the column masks are made where used, not kept live across the k loop: 12
    // accumulators + 2 rows of B + 1 broadcast already take 15 of the 16 registers
    const float* a[MR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) a[r] = A + r * lda;
    if (w == 8 * NV) {
        for (int k = 0; k < K; ++k, B += ldb) {
            __m256 b[NV];
            SDK_UNROLL for (int v = 0; v < NV; ++v) b[v] = _mm256_loadu_ps(B + 8 * v);
            SDK_UNROLL for (int r = 0; r < MR; ++r) {
                const __m256 av = _mm256_broadcast_ss(a[r] + k);
                SDK_UNROLL for (int v = 0; v < NV; ++v) c[r][v] = _mm256_fmadd_ps(av, b[v], c[r][v]);
            }
        }
    } else {
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(w), lane);
        const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(w - 8), lane);
        for (int k = 0; k < K; ++k, B += ldb) {
            __m256 b[NV];
            SDK_UNROLL for (int v = 0; v < NV; ++v) b[v] = _mm256_maskload_ps(B + 8 * v, v ? m1 : m0);
            SDK_UNROLL for (int r = 0; r < MR; ++r) {
                const __m256 av = _mm256_broadcast_ss(a[r] + k);
                SDK_UNROLL for (int v = 0; v < NV; ++v) c[r][v] = _mm256_fmadd_ps(av, b[v], c[r][v]);
            }
        }
    }
    const __m256 lo = _mm256_set1_ps(e.act.lo), hi = _mm256_set1_ps(e.act.hi);
    const __m256 alpha = _mm256_set1_ps(e.alpha);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(w), lane);
    const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(w - 8), lane);
    SDK_UNROLL for (int r = 0; r < MR; ++r) {
        float* crow = C + r * ldc;
        const __m256 bias = _mm256_set1_ps(e.row_bias ? e.row_bias[row0 + r] : 0.0f);
        SDK_UNROLL for (int v = 0; v < NV; ++v) {
            __m256 o = c[r][v];
            if (e.alpha != 1.0f) o = _mm256_mul_ps(o, alpha);
            o = _mm256_add_ps(o, bias);
            const __m256i m = v ? m1 : m0;
            if (e.accumulate) o = _mm256_add_ps(o, _mm256_maskload_ps(crow + 8 * v, m));
            o = x86_act_avx2(o, e.act.kind, lo, hi);
            if (w >= 8 * (v + 1))
                _mm256_storeu_ps(crow + 8 * v, o);
            else
                _mm256_maskstore_ps(crow + 8 * v, m, o);
        }
    }
    if (!x86_act_in_register(e.act.kind)) x86_sigmoid_rows_avx2(C, ldc, MR, w, e.act.kind == kActSilu);
}

template <int MR>
SDK_X86_HOT void rows16(int64_t N, int K, const float* A, int64_t lda, const float* B,
                                                int64_t ldb, int64_t bps, float* C, int64_t ldc, const GemmEpilogue& e,
                                                int64_t row0) {
    for (int64_t p = 0, j = 0; p < N; p += 16, ++j) {
        const int w = N - p < 16 ? (int)(N - p) : 16;
        if (w > 8)
            tile16<MR, 2>(K, A, lda, B + j * bps, ldb, C + p, ldc, w, e, row0);
        else
            tile16<MR, 1>(K, A, lda, B + j * bps, ldb, C + p, ldc, w, e, row0);
    }
}

}  // namespace

namespace {

constexpr int kDotTailMaxK = 1024;  // the gathered column lives on the stack

// Rows [r0, r1) of column c of C through the dot kernel, from B's column in col (K floats):
// one dot product per row of A (rows lda floats apart: a K chunk of a conv's weights too),
// the tile's epilogue in scalar form.
void dot_rows(int64_t r0, int64_t r1, int K, const float* A, int64_t lda, const float* col, int64_t c, float* C,
              int64_t ldc, const GemmEpilogue& e) {
    float dots[64];
    for (int64_t m0 = r0; m0 < r1; m0 += 64) {
        const int n = r1 - m0 < 64 ? (int)(r1 - m0) : 64;
        x86_dots_ld_avx2(col, A + m0 * lda, K, lda, n, dots);
        for (int i = 0; i < n; ++i) {
            float o = dots[i];
            if (e.alpha != 1.0f) o *= e.alpha;
            if (e.row_bias) o += e.row_bias[m0 + i];
            float* d = C + (m0 + i) * ldc + c;
            if (e.accumulate) o += *d;
            *d = e.act.kind != kActNone ? act_f32(o, e.act) : o;
        }
    }
}

// Column c of C through the dot kernel: B's column gathered once.
void dot_column(int64_t M, int K, const float* A, int64_t lda, const float* B, int64_t ldb, int64_t bps, int64_t c,
                float* C, int64_t ldc, const GemmEpilogue& e) {
    float col[kDotTailMaxK];
    const float* src = B + (c / 16) * bps + c % 16;
    if (ldb != 1)  // (a contiguous column, e.g. a squeeze-excitation 1x1 conv's input, is used as it is)
        for (int k = 0; k < K; ++k) col[k] = src[(int64_t)k * ldb];
    dot_rows(0, M, K, A, lda, ldb != 1 ? col : src, c, C, ldc, e);
}

// Columns [0, N) on the register tiles, rows outer: R rows of A (R x K floats) stay in L1
// while B streams past them; then the `tail` columns after N (gathered in cols, K floats
// each) as dot products over those same rows, still in L1 (a pass of its own read the whole
// weight matrix again: 1x1 convs over 7x7 planes, 49 = 48 + 1 columns).
void rows_avx2(int64_t M, int64_t N, int K, const float* A, int64_t lda, const float* B, int64_t ldb, int64_t bps,
               float* C, int64_t ldc, const GemmEpilogue& e, const float* cols, int tail) {
    int64_t m = 0;
    auto dots = [&](int64_t r0, int64_t r1) {
        for (int t = 0; t < tail; ++t) dot_rows(r0, r1, K, A, lda, cols + (int64_t)t * K, N + t, C, ldc, e);
    };
#if defined(__i386__)  // 8 vector registers: 2 x 16 tiles (4 accumulators) instead
    for (; m + 2 <= M; m += 2) {
        rows16<2>(N, K, A + m * lda, lda, B, ldb, bps, C + m * ldc, ldc, e, m);
        dots(m, m + 2);
    }
#else
    constexpr int R = kTileRows;
    for (; m + R <= M; m += R) {
        // the rows of A two tiles ahead into cache meanwhile: weights read once per run
        // come from memory, and R interleaved broadcast streams defeat the prefetchers
        if (m + 3 * R <= M && N > 16)
            for (int r = 2 * R; r < 3 * R; ++r)
                for (int k = 0; k < K; k += 16) _mm_prefetch((const char*)(A + (m + r) * lda + k), _MM_HINT_T1);
        rows16<R>(N, K, A + m * lda, lda, B, ldb, bps, C + m * ldc, ldc, e, m);
        dots(m, m + R);
    }
    if (m + 4 <= M) {
        rows16<4>(N, K, A + m * lda, lda, B, ldb, bps, C + m * ldc, ldc, e, m);
        dots(m, m + 4);
        m += 4;
    }
    if (m + 2 <= M) {
        rows16<2>(N, K, A + m * lda, lda, B, ldb, bps, C + m * ldc, ldc, e, m);
        dots(m, m + 2);
        m += 2;
    }
#endif
    if (m < M) {
        rows16<1>(N, K, A + m * lda, lda, B, ldb, bps, C + m * ldc, ldc, e, m);
        dots(m, M);
    }
}

}  // namespace

void x86_sgemm16_avx2(int64_t M, int64_t N, int K, const float* A, int64_t lda, const float* B, int64_t ldb,
                      int64_t bps, float* C, int64_t ldc, const GemmEpilogue& e) {
    // A last block of 1-2 columns (7x7 planes: 49 = 3 x 16 + 1) would cost each row block
    // a whole 8-column tile for 1/8 of its work (on AVX-512 a 16-column one: 49 columns ran
    // as 64): those columns take the dot kernel instead. Weights with a longer row than K
    // (a K chunk of a conv, kernels/ref/conv_f32.cpp) too.
    // So do N = 1-2 (the 1x1 convs of squeeze-excitation blocks, on 1x1 planes): a matrix-vector
    // product, the weights read once in rows (a register tile would use 1 lane of 16 and read
    // them in 12 interleaved broadcast streams: 2-5x the time on MobileNetV3's SE blocks).
    const int tail = (int)(N % 16);
    if ((N > 16 || N == tail) && tail <= 2 && tail > 0 && (K <= kDotTailMaxK || (N == 1 && ldb == 1))) {
        if (N > 16 && K <= kDotTailMaxK) {  // the dots per row block, while its weights are in L1
            float cols[2 * kDotTailMaxK];
            for (int t = 0; t < tail; ++t) {
                const int64_t c = N - tail + t;
                const float* src = B + (c / 16) * bps + c % 16;
                for (int k = 0; k < K; ++k) cols[t * K + k] = src[(int64_t)k * ldb];
            }
#if defined(__x86_64__)
            if (x86_f32_avx512_enabled()) return x86_sgemm16_avx512(M, N - tail, K, A, lda, B, ldb, bps, C, ldc, e, cols, tail);
#endif
            return rows_avx2(M, N - tail, K, A, lda, B, ldb, bps, C, ldc, e, cols, tail);
        }
        if (N > tail) x86_sgemm16_avx2(M, N - tail, K, A, lda, B, ldb, bps, C, ldc, e);
        for (int64_t c = N - tail; c < N; ++c) dot_column(M, K, A, lda, B, ldb, bps, c, C, ldc, e);
        return;
    }
#if defined(__x86_64__)
    // every shape: the 12 x 32 tile measured 1.3-1.7x the 6 x 16 one on the 1x1-conv and
    // MatMul shapes of the zoo (N 16-256, K 16-1152; a 16-column tail block included)
    if (x86_f32_avx512_enabled())
        return x86_sgemm16_avx512(M, N, K, A, lda, B, ldb, bps, C, ldc, e);
#endif
    rows_avx2(M, N, K, A, lda, B, ldb, bps, C, ldc, e, nullptr, 0);
}

// out[i] = dot(a, b + i * ld) for i in [0, n): 4 rows of B at a time, 2 accumulators each
// (8 FMA chains), a masked tail for K % 8.
SDK_X86_HOT void x86_dots_ld_avx2(const float* a, const float* b, int K, int64_t ld, int n, float* out) {
    const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(K & 7), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const int k16 = K & ~15, k8 = K & ~7;
    int i = 0;
    for (; i < n; i += 4) {
        const int rows = n - i < 4 ? n - i : 4;
        const float* r[4];
        SDK_UNROLL for (int q = 0; q < 4; ++q) r[q] = b + (int64_t)(i + (q < rows ? q : 0)) * ld;
        __m256 s0[4], s1[4];
        SDK_UNROLL for (int q = 0; q < 4; ++q) s0[q] = s1[q] = _mm256_setzero_ps();
        int k = 0;
        for (; k < k16; k += 16) {
            const __m256 a0 = _mm256_loadu_ps(a + k), a1 = _mm256_loadu_ps(a + k + 8);
            // B is read once per run (from memory): the next 4 rows' lines meanwhile
            if (i + 8 <= n) SDK_UNROLL for (int q = 0; q < 4; ++q) _mm_prefetch((const char*)(r[q] + 4 * ld + k), _MM_HINT_T0);
            SDK_UNROLL for (int q = 0; q < 4; ++q) {
                s0[q] = _mm256_fmadd_ps(a0, _mm256_loadu_ps(r[q] + k), s0[q]);
                s1[q] = _mm256_fmadd_ps(a1, _mm256_loadu_ps(r[q] + k + 8), s1[q]);
            }
        }
        if (k < k8) {
            const __m256 a0 = _mm256_loadu_ps(a + k);
            SDK_UNROLL for (int q = 0; q < 4; ++q) s0[q] = _mm256_fmadd_ps(a0, _mm256_loadu_ps(r[q] + k), s0[q]);
            k += 8;
        }
        if (k < K) {
            const __m256 a0 = _mm256_maskload_ps(a + k, tail);
            SDK_UNROLL for (int q = 0; q < 4; ++q)
                s1[q] = _mm256_fmadd_ps(a0, _mm256_maskload_ps(r[q] + k, tail), s1[q]);
        }
        SDK_UNROLL for (int q = 0; q < 4; ++q) {
            const __m256 v = _mm256_add_ps(s0[q], s1[q]);
            __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
            h = _mm_add_ps(h, _mm_movehl_ps(h, h));
            h = _mm_add_ss(h, _mm_movehdup_ps(h));
            if (q < rows) out[i + q] = _mm_cvtss_f32(h);
        }
    }
}

void x86_dots_avx2(const float* a, const float* b, int K, int n, float* out) { x86_dots_ld_avx2(a, b, K, K, n, out); }

// Sigmoid / SiLU spans, 8 lanes: act_f32.h's formula written with AVX2/FMA intrinsics (the
// generic-vector templates there take 32-byte vectors by value, which clang refuses outside
// AVX-compiled functions); the tail goes through a padded vector.
SDK_X86_HOT void x86_sigmoid_rows_avx2(float* C, int64_t ldc, int rows, int w, bool silu) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int r = 0; r < rows; ++r)
        for (int v = 0; v < w; v += 8) {
            float* p = C + r * ldc + v;
            if (w - v >= 8) {
                _mm256_storeu_ps(p, x86_sigmoid_avx2(_mm256_loadu_ps(p), silu));
            } else {  // (lanes past w: zeros in, nothing out)
                const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(w - v), lane);
                _mm256_maskstore_ps(p, m, x86_sigmoid_avx2(_mm256_maskload_ps(p, m), silu));
            }
        }
}

SDK_X86_HOT void x86_sigmoid_span_avx2(const float* x, float* y, int64_t n, bool silu) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, x86_sigmoid_avx2(_mm256_loadu_ps(x + i), silu));
    if (i < n) {
        float buf[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        memcpy(buf, x + i, (size_t)(n - i) * sizeof(float));
        _mm256_storeu_ps(buf, x86_sigmoid_avx2(_mm256_loadu_ps(buf), silu));
        memcpy(y + i, buf, (size_t)(n - i) * sizeof(float));
    }
}

// Plain (baseline-ISA) entry point: only the code it calls is compiled for AVX2 + FMA.
void x86_sgemm_packed_avx2(int64_t M, int nc, int K, const float* A, int64_t ars, int64_t acs, const float* Bp,
                           float* C, int64_t ldc, const GemmEpilogue& e) {
#if defined(__x86_64__)
    if (x86_f32_avx512_enabled()) return x86_sgemm_packed_avx512(M, nc, K, A, ars, acs, Bp, C, ldc, e);
#endif
    packed_avx2(M, nc, K, A, ars, acs, Bp, C, ldc, e);
}

}  // namespace ref
}  // namespace sdk
#endif
