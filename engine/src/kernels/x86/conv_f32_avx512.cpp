// AVX-512 fp32 depthwise 3x3 (and 5x5 stride 1) convolution (x86_64, chosen at run time on CPUs with
// AVX512F; SDK_F32_GEMM=avx2 keeps the AVX2 kernels of conv_f32.cpp, =ref turns both off).
//
// Stride 1, pads 1 (MobileNet's): the output plane is treated as ONE flat array, 16
// outputs per vector whatever the row width (a 7x7 plane is 4 vectors, not 7 part-empty
// rows), and input element o + (kh - 1) * W + (kw - 1) is output o's tap. The 16
// elements from o + (kh - 1) * W - 1 are one load; the kw = 1, 2 taps are that load
// shifted by 1 and 2 lanes (valignd with the next vector's load behind it). Taps in the
// padding: rows above and below the plane are elements outside it (masked loads at the
// plane's ends, or a copy between zero margins for small planes), columns -1 and W are
// two column masks per vector, computed once per call and shared by every channel. No
// padded copy of large planes, no per-row work.
//
// Stride 2: see s2_rows.
#include "kernels/ref/conv.h"

#if SDK_FEATURE_X86 && defined(__x86_64__)
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/unroll.h"
#include "kernels/x86/act_avx512.h"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12's AVX-512 intrinsics pass an undefined vector as the unused merge source
// (_mm512_alignr_epi32 and others), which -Wmaybe-uninitialized reports
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#define SDK_X86_HOT512 SDK_HOT_TARGET("avx512f,avx512vl,avx2,fma")

namespace sdk {
namespace ref {
namespace {

__attribute__((target("avx512f,avx2,fma"), always_inline)) inline __m512 act16(__m512 v, int kind, __m512 lo,
                                                                              __m512 hi) {
    // act_f32's comparisons exactly (NaN: Relu -> 0, Clip keeps it): max/min return their
    // second operand when one is NaN. Sigmoid / SiLU / HardSwish: the GEMM tile's register
    // forms (x86/act_avx512.h; EfficientNet's and MobileNetV3's depthwise convs), so no pass
    // over the stored plane (on 7x7 planes that pass cost as much as the convolution).
    if (kind == kActRelu) return _mm512_max_ps(v, _mm512_setzero_ps());
    if (kind == kActClip) return _mm512_mask_mov_ps(_mm512_min_ps(hi, v), _mm512_cmp_ps_mask(v, lo, _CMP_LT_OQ), lo);
    if (kind == kActSigmoid || kind == kActSilu) return zsigmoid(v, kind == kActSilu);
    if (kind == kActHardSwish) return zhardswish(v);
    return v;
}

// The activations act16 applies in the register (the others: act_span_f32 over the plane).
inline bool act16_fused(int kind) {
    return kind == kActNone || kind == kActRelu || kind == kActClip || kind == kActSigmoid || kind == kActSilu ||
           kind == kActHardSwish;
}

inline int64_t flat_vectors(const ConvGeom& g) { return ((int64_t)g.OH * g.OW + 15) / 16; }

// Per vector of the flat plane: lanes whose kw = 0 tap is inside the row (column != 0)
// in the low 16 bits, lanes whose kw = 2 tap is (column != W - 1) in the high 16 bits;
// both limited to the plane's lanes.
void flat_colmasks(const ConvGeom& g, uint32_t* cm) {
    const int64_t nvec = flat_vectors(g), P = (int64_t)g.OH * g.OW;
    const int W = g.W;
    int c0 = 0;  // column of lane 0
    for (int64_t v = 0; v < nvec; ++v) {
        uint32_t m0 = 0xFFFF, m2 = 0xFFFF;
        for (int l = c0 == 0 ? 0 : W - c0; l < 16; l += W) m0 &= ~(1u << l);
        for (int l = W - 1 - c0; l < 16; l += W) m2 &= ~(1u << l);
        const int64_t left = P - 16 * v;
        const uint32_t in = left >= 16 ? 0xFFFFu : (1u << left) - 1;
        cm[v] = (m0 & in) | (m2 & in) << 16;
        c0 += 16;
        while (c0 >= W) c0 -= W;
    }
}

// U vectors of one channel's flat plane from vector v (n of them exist): U independent
// FMA chains. Per tap row kh, U + 1 loads X(q) of the 16 elements from o + (kh - 1) * W - 1
// on (o: vector q's first output); the kw = 1, 2 taps are X(q) shifted by 1, 2 lanes with
// X(q + 1) behind (valignd). 3 + 3 / U loads per vector instead of 9: a 64-byte load at an
// offset that is not a multiple of 16 floats spans two cache lines, and those loads set
// the pace. Rows above and below the plane: its elements outside [0, P) (EDGE loads are
// masked to them), columns -1 and W: the column masks (a zero tap, as in the padding).
template <int U, bool EDGE>
__attribute__((target("avx512f,avx512vl,avx2,fma"), always_inline)) inline void flat_block(
    const float* xin, const uint32_t* cm, int64_t v, int n, int64_t P, int64_t W, const __m512* w, __m512 vb,
    float* out, int kind, __m512 lo, __m512 hi) {
    __m512 acc[U];  // (3 chains per vector, one per tap row, measured slower)
    __mmask16 m0[U], m2[U];
    SDK_UNROLL for (int i = 0; i < U; ++i) {
        acc[i] = vb;
        const uint32_t c = cm[i < n ? v + i : v];
        m0[i] = (__mmask16)c;
        m2[i] = (__mmask16)(c >> 16);
    }
    SDK_UNROLL for (int kh = 0; kh < 3; ++kh) {
        const int64_t e0 = 16 * v + (kh - 1) * W - 1;  // element of X(v)'s lane 0
        __m512i X[U + 1];
        SDK_UNROLL for (int i = 0; i <= U; ++i) {
            const int64_t e = e0 + 16 * i;
            if (EDGE) {
                const int64_t a = e < 0 ? -e : 0, b = P - e < 16 ? P - e : 16;
                const __mmask16 lm = a < b ? (__mmask16)(((1u << b) - 1) & ~((1u << a) - 1)) : (__mmask16)0;
                X[i] = _mm512_castps_si512(_mm512_maskz_loadu_ps(lm, xin + e));
            } else {
                X[i] = _mm512_castps_si512(_mm512_loadu_ps(xin + e));
            }
        }
        SDK_UNROLL for (int i = 0; i < U; ++i) {
            // the column masks on the multiply-adds (merge masking: lanes off keep the sum),
            // not on the taps: on Zen 4 the 512-bit shuffles, not the FMAs, set the pace
            const __m512 t1 = _mm512_castsi512_ps(_mm512_alignr_epi32(X[i + 1], X[i], 1));
            const __m512 t2 = _mm512_castsi512_ps(_mm512_alignr_epi32(X[i + 1], X[i], 2));
            acc[i] = _mm512_mask3_fmadd_ps(_mm512_castsi512_ps(X[i]), w[kh * 3], acc[i], m0[i]);
            acc[i] = _mm512_fmadd_ps(t1, w[kh * 3 + 1], acc[i]);
            acc[i] = _mm512_mask3_fmadd_ps(t2, w[kh * 3 + 2], acc[i], m2[i]);
        }
    }
    SDK_UNROLL for (int i = 0; i < U; ++i) {
        if (i >= n) break;
        const __m512 r = act16(acc[i], kind, lo, hi);
        const int64_t left = P - 16 * (v + i);
        if (left >= 16)
            _mm512_storeu_ps(out + (v + i) * 16, r);
        else
            _mm512_mask_storeu_ps(out + (v + i) * 16, (__mmask16)((1u << left) - 1), r);
    }
}

constexpr int kFlatU = 4;

// pad: xin has W + 1 zeros before it and 16 * kFlatU + W + 16 after its P floats (a copy
// in the scratch), so no load needs a mask.
SDK_X86_HOT512 void flat_plane(const float* xin, const uint32_t* cm, int64_t nvec, int64_t P, int64_t W,
                               const float* wk, float bias, float* out, int kind, float lo_, float hi_, bool pad) {
    __m512 w[9];
    SDK_UNROLL for (int t = 0; t < 9; ++t) w[t] = _mm512_set1_ps(wk[t]);
    const __m512 vb = _mm512_set1_ps(bias), lo = _mm512_set1_ps(lo_), hi = _mm512_set1_ps(hi_);
    constexpr int U = kFlatU;
    for (int64_t v = 0; v < nvec; v += U) {
        const int n = nvec - v < U ? (int)(nvec - v) : U;
        // every load inside the plane: 16 * v - W - 1 >= 0 and 16 * (v + U) + W + 15 <= P
        if (pad || (16 * v >= W + 1 && 16 * (v + U) + W + 15 <= P))
            flat_block<U, false>(xin, cm, v, n, P, W, w, vb, out, kind, lo, hi);
        else
            flat_block<U, true>(xin, cm, v, n, P, W, w, vb, out, kind, lo, hi);
    }
}

// ---- 5x5, stride 1, pads 2 (MNASNet's, EfficientNet's, MobileNetV3's): the flat plane as
// above with 5 taps per row. Per tap row, U + 1 loads X(q) of the 16 elements from
// o + (kh - 2) * W - 2 on; taps kw = 1..4 are X(q) shifted by kw lanes with X(q + 1) behind
// (valignd). Columns -2, -1, W, W + 1: four column masks per vector (flat5_colmasks), on the
// multiply-adds. The kernel row's 5 weights are broadcast once per block of U vectors.
inline bool flat5_fits(const ConvGeom& g) {
    return g.C == g.group && g.KH == 5 && g.KW == 5 && g.dh == 1 && g.dw == 1 && g.sh == 1 && g.sw == 1 &&
           g.pt == 2 && g.pl == 2 && g.pb == 2 && g.pr == 2;
}

// Per vector: lanes whose kw tap is inside the row (column + kw - 2 in [0, W)) and inside
// the plane, 16 bits per kw in {0, 1, 3, 4} (kw = 2 is always inside the row).
void flat5_colmasks(const ConvGeom& g, uint64_t* cm) {
    const int64_t nvec = flat_vectors(g), P = (int64_t)g.OH * g.OW;
    const int W = g.W;
    int col = 0;  // column of the current lane
    for (int64_t v = 0; v < nvec; ++v) {
        uint64_t m = 0;
        for (int l = 0; l < 16; ++l) {
            if (16 * v + l < P) {
                if (col >= 2) m |= 1ull << l;
                if (col >= 1) m |= 1ull << (16 + l);
                if (col + 1 < W) m |= 1ull << (32 + l);
                if (col + 2 < W) m |= 1ull << (48 + l);
            }
            if (++col == W) col = 0;
        }
        cm[v] = m;
    }
}

template <int U, bool EDGE>
__attribute__((target("avx512f,avx512vl,avx2,fma"), always_inline)) inline void flat5_block(
    const float* xin, const uint64_t* cm, int64_t v, int n, int64_t P, int64_t W, const float* wk, __m512 vb,
    float* out, int kind, __m512 lo, __m512 hi) {
    __m512 acc[U];
    __mmask16 m0[U], m1[U], m3[U], m4[U];
    SDK_UNROLL for (int i = 0; i < U; ++i) {
        acc[i] = vb;
        const uint64_t c = cm[i < n ? v + i : v];
        m0[i] = (__mmask16)c;
        m1[i] = (__mmask16)(c >> 16);
        m3[i] = (__mmask16)(c >> 32);
        m4[i] = (__mmask16)(c >> 48);
    }
    SDK_UNROLL for (int kh = 0; kh < 5; ++kh) {
        const __m512 w0 = _mm512_set1_ps(wk[kh * 5]), w1 = _mm512_set1_ps(wk[kh * 5 + 1]),
                     w2 = _mm512_set1_ps(wk[kh * 5 + 2]), w3 = _mm512_set1_ps(wk[kh * 5 + 3]),
                     w4 = _mm512_set1_ps(wk[kh * 5 + 4]);
        const int64_t e0 = 16 * v + (kh - 2) * W - 2;  // element of X(v)'s lane 0
        __m512i X[U + 1];
        SDK_UNROLL for (int i = 0; i <= U; ++i) {
            const int64_t e = e0 + 16 * i;
            if (EDGE) {
                const int64_t a = e < 0 ? -e : 0, b = P - e < 16 ? P - e : 16;
                const __mmask16 lm = a < b ? (__mmask16)(((1u << b) - 1) & ~((1u << a) - 1)) : (__mmask16)0;
                X[i] = _mm512_castps_si512(_mm512_maskz_loadu_ps(lm, xin + e));
            } else {
                X[i] = _mm512_castps_si512(_mm512_loadu_ps(xin + e));
            }
        }
        SDK_UNROLL for (int i = 0; i < U; ++i) {
            const __m512 t1 = _mm512_castsi512_ps(_mm512_alignr_epi32(X[i + 1], X[i], 1));
            const __m512 t2 = _mm512_castsi512_ps(_mm512_alignr_epi32(X[i + 1], X[i], 2));
            const __m512 t3 = _mm512_castsi512_ps(_mm512_alignr_epi32(X[i + 1], X[i], 3));
            const __m512 t4 = _mm512_castsi512_ps(_mm512_alignr_epi32(X[i + 1], X[i], 4));
            acc[i] = _mm512_mask3_fmadd_ps(_mm512_castsi512_ps(X[i]), w0, acc[i], m0[i]);
            acc[i] = _mm512_mask3_fmadd_ps(t1, w1, acc[i], m1[i]);
            acc[i] = _mm512_fmadd_ps(t2, w2, acc[i]);
            acc[i] = _mm512_mask3_fmadd_ps(t3, w3, acc[i], m3[i]);
            acc[i] = _mm512_mask3_fmadd_ps(t4, w4, acc[i], m4[i]);
        }
    }
    SDK_UNROLL for (int i = 0; i < U; ++i) {
        if (i >= n) break;
        const __m512 r = act16(acc[i], kind, lo, hi);
        const int64_t left = P - 16 * (v + i);
        if (left >= 16)
            _mm512_storeu_ps(out + (v + i) * 16, r);
        else
            _mm512_mask_storeu_ps(out + (v + i) * 16, (__mmask16)((1u << left) - 1), r);
    }
}

// Vectors per block of the 5x5 kernel: 2, not kFlatU's 4 (its 4 column masks per vector
// then fit the mask registers; measured 8-12 % faster on 14x14 and 28x28 planes).
constexpr int kFlat5U = 2;

// pad: xin has 2W + 2 zeros before it and 16 * kFlatU + 2W + 32 after its P floats (kFlat5U <= kFlatU).
SDK_X86_HOT512 void flat5_plane(const float* xin, const uint64_t* cm, int64_t nvec, int64_t P, int64_t W,
                                const float* wk, float bias, float* out, int kind, float lo_, float hi_, bool pad) {
    const __m512 vb = _mm512_set1_ps(bias), lo = _mm512_set1_ps(lo_), hi = _mm512_set1_ps(hi_);
        constexpr int U = kFlat5U;
    for (int64_t v = 0; v < nvec; v += U) {
        const int n = nvec - v < U ? (int)(nvec - v) : U;
        // every load inside the plane: 16 * v - 2W - 2 >= 0 and 16 * (v + U) + 2W + 14 <= P
        if (pad || (16 * v >= 2 * W + 2 && 16 * (v + U) + 2 * W + 14 <= P))
            flat5_block<U, false>(xin, cm, v, n, P, W, wk, vb, out, kind, lo, hi);
        else
            flat5_block<U, true>(xin, cm, v, n, P, W, wk, vb, out, kind, lo, hi);
    }
}

// ---- Stride 2 (pads 1 at the top and left). Vector widths: 16 (ZMM) for rows wider than
// 8 outputs, 8 (YMM, AVX512VL) for narrower ones (a 7-wide row would leave 9 of 16 lanes
// idle). Per tap row, a vector of L outputs from column c0 loads the 2L input columns
// from 2 * c0 on (A, B; masked past the row's end = the right padding): kw = 1 is their
// even lanes, kw = 2 their odd lanes (one two-source permute each), and kw = 0 (input
// column 2 * c0 + 2j - 1) is kw = 2 moved up one lane with the previous vector's last
// kw = 2 lane below it (valignd; zero left of the row = the left padding). 2 loads, 3
// shuffles, 3 FMAs per tap row; rows go left to right, 4 output rows in flight.
struct Z16 {
    typedef __m512 V;
    static constexpr int L = 16;
    static SDK_X86_HOT512 inline V zero() { return _mm512_setzero_ps(); }
    static SDK_X86_HOT512 inline V set1(float f) { return _mm512_set1_ps(f); }
    static SDK_X86_HOT512 inline V load(const float* p) { return _mm512_loadu_ps(p); }
    static SDK_X86_HOT512 inline V maskz_load(uint32_t m, const float* p) { return _mm512_maskz_loadu_ps((__mmask16)m, p); }
    static SDK_X86_HOT512 inline V even(V a, V b) {
        return _mm512_permutex2var_ps(a, _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), b);
    }
    static SDK_X86_HOT512 inline V odd(V a, V b) {
        return _mm512_permutex2var_ps(a, _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), b);
    }
    static SDK_X86_HOT512 inline V up1(V cur, V prev) {  // [prev[L-1], cur[0..L-2]]
        return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(cur), _mm512_castps_si512(prev), 15));
    }
    static SDK_X86_HOT512 inline V down1(V cur, V next) {  // [cur[1..L-1], next[0]]
        return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(next), _mm512_castps_si512(cur), 1));
    }
    static SDK_X86_HOT512 inline V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    static SDK_X86_HOT512 inline V act(V v, int kind, V lo, V hi) { return act16(v, kind, lo, hi); }
    static SDK_X86_HOT512 inline void store(float* p, V v) { _mm512_storeu_ps(p, v); }
    static SDK_X86_HOT512 inline void mask_store(float* p, uint32_t m, V v) { _mm512_mask_storeu_ps(p, (__mmask16)m, v); }
};

struct Y8 {
    typedef __m256 V;
    static constexpr int L = 8;
    static SDK_X86_HOT512 inline V zero() { return _mm256_setzero_ps(); }
    static SDK_X86_HOT512 inline V set1(float f) { return _mm256_set1_ps(f); }
    static SDK_X86_HOT512 inline V load(const float* p) { return _mm256_loadu_ps(p); }
    static SDK_X86_HOT512 inline V maskz_load(uint32_t m, const float* p) { return _mm256_maskz_loadu_ps((__mmask8)m, p); }
    static SDK_X86_HOT512 inline V even(V a, V b) {
        return _mm256_permutex2var_ps(a, _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14), b);
    }
    static SDK_X86_HOT512 inline V odd(V a, V b) {
        return _mm256_permutex2var_ps(a, _mm256_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15), b);
    }
    static SDK_X86_HOT512 inline V up1(V cur, V prev) {
        return _mm256_castsi256_ps(_mm256_alignr_epi32(_mm256_castps_si256(cur), _mm256_castps_si256(prev), 7));
    }
    static SDK_X86_HOT512 inline V down1(V cur, V next) {
        return _mm256_castsi256_ps(_mm256_alignr_epi32(_mm256_castps_si256(next), _mm256_castps_si256(cur), 1));
    }
    static SDK_X86_HOT512 inline V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    static SDK_X86_HOT512 inline V act(V v, int kind, V lo, V hi) {
        if (kind == kActRelu) return _mm256_max_ps(v, _mm256_setzero_ps());
        if (kind == kActClip)
            return _mm256_mask_mov_ps(_mm256_min_ps(hi, v), _mm256_cmp_ps_mask(v, lo, _CMP_LT_OQ), lo);
        if (kind == kActSigmoid || kind == kActSilu || kind == kActHardSwish)  // (the 16-lane forms' low half)
            return _mm512_castps512_ps256(
                act16(_mm512_castps256_ps512(v), kind, _mm512_castps256_ps512(lo), _mm512_castps256_ps512(hi)));
        return v;
    }
    static SDK_X86_HOT512 inline void store(float* p, V v) { _mm256_storeu_ps(p, v); }
    static SDK_X86_HOT512 inline void mask_store(float* p, uint32_t m, V v) { _mm256_mask_storeu_ps(p, (__mmask8)m, v); }
};

// lanes [0, n) of an L-lane mask (n may be <= 0 or >= L)
inline uint32_t lanes(int64_t n, int L) { return n <= 0 ? 0u : n >= L ? (1u << L) - 1 : (1u << n) - 1; }

// Output rows [oh, oh + U) of one channel (all exist).
template <class T, int U>
__attribute__((target("avx512f,avx512vl,avx2,fma"), always_inline)) inline void s2_rows(
    const ConvGeom& g, const float* xin, int oh, const typename T::V* w, typename T::V vb, float* out,
    typename T::V lo, typename T::V hi) {
    typedef typename T::V V;
    constexpr int L = T::L;
    // the 2U + 1 input rows of the block: row q = 2 * oh - 1 + q feeds output row q / 2
    // (kh 0, q even), row (q - 1) / 2 (kh 1, q odd) and row q / 2 - 1 (kh 2, q even): each
    // is loaded and split into its three taps once, not once per output row it feeds
    constexpr int Q = 2 * U + 1;
    const float* r[Q];
    bool ok[Q];
    SDK_UNROLL for (int q = 0; q < Q; ++q) {
        const int ih = 2 * oh - 1 + q;
        ok[q] = (unsigned)ih < (unsigned)g.H;
        r[q] = xin + (int64_t)(ok[q] ? ih : 0) * g.W;
    }
    V prev[Q];
    SDK_UNROLL for (int q = 0; q < Q; ++q) prev[q] = T::zero();
    const int kind = g.act.kind;
    for (int c0 = 0; c0 < g.OW; c0 += L) {
        const int64_t col = 2 * (int64_t)c0;  // first input column loaded
        const bool whole = col + 2 * L <= g.W;
        const uint32_t ma = lanes(g.W - col, L), mb = lanes(g.W - col - L, L);
        V acc[U];
        SDK_UNROLL for (int i = 0; i < U; ++i) acc[i] = vb;
        SDK_UNROLL for (int q = 0; q < Q; ++q) {
            if (!ok[q]) continue;  // a padding row: no taps (as the ref kernel)
            const float* s = r[q] + col;
            V a, b;
            if (whole) {
                a = T::load(s);
                b = T::load(s + L);
            } else {
                a = T::maskz_load(ma, s);
                b = T::maskz_load(mb, s + L);
            }
            const V t1 = T::even(a, b), t2 = T::odd(a, b), t0 = T::up1(t2, prev[q]);
            prev[q] = t2;
            if (q % 2) {
                const int i = (q - 1) / 2;
                acc[i] = T::fma(t0, w[3], acc[i]);
                acc[i] = T::fma(t1, w[4], acc[i]);
                acc[i] = T::fma(t2, w[5], acc[i]);
            } else {
                if (q / 2 < U) {
                    const int i = q / 2;
                    acc[i] = T::fma(t0, w[0], acc[i]);
                    acc[i] = T::fma(t1, w[1], acc[i]);
                    acc[i] = T::fma(t2, w[2], acc[i]);
                }
                if (q >= 2) {
                    const int i = q / 2 - 1;
                    acc[i] = T::fma(t0, w[6], acc[i]);
                    acc[i] = T::fma(t1, w[7], acc[i]);
                    acc[i] = T::fma(t2, w[8], acc[i]);
                }
            }
        }
        const uint32_t mo = lanes(g.OW - c0, L);
        SDK_UNROLL for (int i = 0; i < U; ++i) {
            const V v = T::act(acc[i], kind, lo, hi);
            float* d = out + (int64_t)(oh + i) * g.OW + c0;
            if (c0 + L <= g.OW)
                T::store(d, v);
            else
                T::mask_store(d, mo, v);
        }
    }
}

template <class T>
SDK_X86_HOT512 void s2_plane(const ConvGeom& g, const float* xin, const float* wk, float bias, float* out) {
    typedef typename T::V V;
    V w[9];
    SDK_UNROLL for (int t = 0; t < 9; ++t) w[t] = T::set1(wk[t]);
    const V vb = T::set1(bias), lo = T::set1(g.act.lo), hi = T::set1(g.act.hi);
    if (g.OH < 4) {
        for (int oh = 0; oh < g.OH; ++oh) s2_rows<T, 1>(g, xin, oh, w, vb, out, lo, hi);
        return;
    }
    // 4 rows at a time; the last block ends at the last row, overlapping the one before
    // (rows computed twice store the same values): 7 rows = 2 blocks, not 1 + 3 single rows
    for (int oh = 0;; oh += 4) {
        if (oh > g.OH - 4) oh = g.OH - 4;
        s2_rows<T, 4>(g, xin, oh, w, vb, out, lo, hi);
        if (oh == g.OH - 4) break;
    }
}

// ---- 5x5 stride 2, pads 2 at the top and left (MNASNet's, EfficientNet's, MobileNetV3's).
// Output column j of a vector from c0 reads input columns 2 (c0 + j) - 2 + kw. Per tap row,
// the 2L input columns from 2 * c0 on (A, B; masked past the row's end) give kw = 2 (even
// lanes) and kw = 3 (odd lanes); kw = 0 and 1 are those moved up one lane with the input
// column 2 * c0 - 2 (- 1) below them, kw = 4 the even lanes moved down one lane with column
// 2 * c0 + 2L above them (single elements, broadcast; 0 outside the row = the padding):
// 2 loads, 3 broadcasts, 5 shuffles per tap row, shared by the 2-3 output rows it feeds.
template <class T, int U>
__attribute__((target("avx512f,avx512vl,avx2,fma"), always_inline)) inline void s2k5_rows(
    const ConvGeom& g, const float* xin, int oh, const float* wk, typename T::V vb, float* out, typename T::V lo,
    typename T::V hi) {
    typedef typename T::V V;
    constexpr int L = T::L;
    constexpr int Q = 2 * U + 3;  // input row q = 2 * oh - 2 + q feeds output row i with kh = q - 2i
    const float* r[Q];
    bool ok[Q];
    SDK_UNROLL for (int q = 0; q < Q; ++q) {
        const int ih = 2 * oh - 2 + q;
        ok[q] = (unsigned)ih < (unsigned)g.H;
        r[q] = xin + (int64_t)(ok[q] ? ih : 0) * g.W;
    }
    const int kind = g.act.kind;
    const int64_t W = g.W;
    for (int c0 = 0; c0 < g.OW; c0 += L) {
        const int64_t col = 2 * (int64_t)c0;  // first input column loaded
        const bool whole = col + 2 * L <= W;
        const uint32_t ma = lanes(W - col, L), mb = lanes(W - col - L, L);
        const bool has_m2 = col >= 2 && col - 2 < W, has_m1 = col >= 1 && col - 1 < W, has_p = col + 2 * L < W;
        V acc[U];
        SDK_UNROLL for (int i = 0; i < U; ++i) acc[i] = vb;
        SDK_UNROLL for (int q = 0; q < Q; ++q) {
            if (!ok[q]) continue;  // a padding row: no taps (as the ref kernel)
            const float* s = r[q] + col;
            V a, b;
            if (whole) {
                a = T::load(s);
                b = T::load(s + L);
            } else {
                a = T::maskz_load(ma, s);
                b = T::maskz_load(mb, s + L);
            }
            const V t2 = T::even(a, b), t3 = T::odd(a, b);
            const V t0 = T::up1(t2, T::set1(has_m2 ? s[-2] : 0.0f));
            const V t1 = T::up1(t3, T::set1(has_m1 ? s[-1] : 0.0f));
            const V t4 = T::down1(t2, T::set1(has_p ? s[2 * L] : 0.0f));
            SDK_UNROLL for (int i = 0; i < U; ++i) {
                const int kh = q - 2 * i;
                if (kh < 0 || kh > 4) continue;
                const float* wr = wk + kh * 5;
                acc[i] = T::fma(t0, T::set1(wr[0]), acc[i]);
                acc[i] = T::fma(t1, T::set1(wr[1]), acc[i]);
                acc[i] = T::fma(t2, T::set1(wr[2]), acc[i]);
                acc[i] = T::fma(t3, T::set1(wr[3]), acc[i]);
                acc[i] = T::fma(t4, T::set1(wr[4]), acc[i]);
            }
        }
        const uint32_t mo = lanes(g.OW - c0, L);
        SDK_UNROLL for (int i = 0; i < U; ++i) {
            const V v = T::act(acc[i], kind, lo, hi);
            float* d = out + (int64_t)(oh + i) * g.OW + c0;
            if (c0 + L <= g.OW)
                T::store(d, v);
            else
                T::mask_store(d, mo, v);
        }
    }
}

template <class T>
SDK_X86_HOT512 void s2k5_plane(const ConvGeom& g, const float* xin, const float* wk, float bias, float* out) {
    typedef typename T::V V;
    const V vb = T::set1(bias), lo = T::set1(g.act.lo), hi = T::set1(g.act.hi);
    if (g.OH < 4) {
        for (int oh = 0; oh < g.OH; ++oh) s2k5_rows<T, 1>(g, xin, oh, wk, vb, out, lo, hi);
        return;
    }
    for (int oh = 0;; oh += 4) {  // the last block overlaps the one before (as s2_plane)
        if (oh > g.OH - 4) oh = g.OH - 4;
        s2k5_rows<T, 4>(g, xin, oh, wk, vb, out, lo, hi);
        if (oh == g.OH - 4) break;
    }
}

inline bool s2k5_fits(const ConvGeom& g) {
    return g.C == g.group && g.KH == 5 && g.KW == 5 && g.dh == 1 && g.dw == 1 && g.sh == 2 && g.sw == 2 &&
           g.pt == 2 && g.pl == 2;
}

inline bool s2_fits(const ConvGeom& g) {
    return g.C == g.group && g.KH == 3 && g.KW == 3 && g.dh == 1 && g.dw == 1 && g.sh == 2 && g.sw == 2 &&
           g.pt == 1 && g.pl == 1;
}

// ---- Dense KxK (K = 3, 5, 7; up to 7 kernel rows) stride 2 with at most 4 input channels
// (a stem: MobileNet's 3x3, SqueezeNet's unpadded 3x3, ResNet's and Inception's 7x7), any
// padding: 16 output channels x 16 output columns in 16 accumulators. Per (input channel,
// kernel row), a pair of loads of 16 input columns per two taps (from 2 * c0 - pl + 2q;
// masked outside the row, which is the padding) gives taps 2q and 2q + 1 by even/odd
// permutes, then 16 multiply-adds each with the weights broadcast from memory (folded into
// the FMA). No im2col, no padded copy.
constexpr int kStem512MaxC = 4;
constexpr int kStem512MaxK = 7;

template <int KW>
SDK_X86_HOT512 void stem512_row(const ConvGeom& g, const float* xin, const float* wt, const float* bias, float* o,
                                int nb, int oh) {
    constexpr int Q = (KW + 1) / 2;  // load pairs per kernel row
    const int64_t plane = (int64_t)g.OH * g.OW;
    const float* r[kStem512MaxC * kStem512MaxK];
    int nr = 0;
    const float* wr[kStem512MaxC * kStem512MaxK];
    for (int c = 0; c < g.C; ++c)
        for (int kh = 0; kh < g.KH; ++kh) {
            const int ih = 2 * oh - g.pt + kh;
            if ((unsigned)ih >= (unsigned)g.H) continue;  // a padding row: no taps
            r[nr] = xin + ((int64_t)c * g.H + ih) * g.W;
            wr[nr++] = wt + (c * g.KH + kh) * KW * 16;
        }
    const int kind = g.act.kind;
    const __m512 lo = _mm512_set1_ps(g.act.lo), hi = _mm512_set1_ps(g.act.hi);
    for (int c0 = 0; c0 < g.OW; c0 += 16) {
        const int64_t p0 = 2 * (int64_t)c0 - g.pl;  // first column of load pair 0
        // whole loads: columns [p0, p0 + 2 (Q - 1) + 32) inside the row
        const bool whole = p0 >= 0 && p0 + 2 * (Q - 1) + 32 <= g.W;
        __mmask16 m[2 * Q];
        if (!whole) {
            SDK_UNROLL for (int q = 0; q < 2 * Q; ++q) {
                const int64_t st = p0 + 2 * (q / 2) + 16 * (q % 2);
                const int64_t a = st < 0 ? -st : 0, b = g.W - st;
                m[q] = (__mmask16)(lanes(b, 16) & ~lanes(a, 16));
            }
        }
        __m512 acc[16];
        SDK_UNROLL for (int j = 0; j < 16; ++j) acc[j] = _mm512_set1_ps(bias[j]);
        for (int i = 0; i < nr; ++i) {
            const float* s = r[i] + p0;
            const float* wq = wr[i];
            SDK_UNROLL for (int q = 0; q < Q; ++q) {
                __m512 a, b;
                if (whole) {
                    a = _mm512_loadu_ps(s + 2 * q);
                    b = _mm512_loadu_ps(s + 2 * q + 16);
                } else {
                    a = _mm512_maskz_loadu_ps(m[2 * q], s + 2 * q);
                    b = _mm512_maskz_loadu_ps(m[2 * q + 1], s + 2 * q + 16);
                }
                const __m512 t0 = Z16::even(a, b);
                SDK_UNROLL for (int j = 0; j < 16; ++j)
                    acc[j] = _mm512_fmadd_ps(t0, _mm512_set1_ps(wq[2 * q * 16 + j]), acc[j]);
                if (2 * q + 1 < KW) {
                    const __m512 t1 = Z16::odd(a, b);
                    SDK_UNROLL for (int j = 0; j < 16; ++j)
                        acc[j] = _mm512_fmadd_ps(t1, _mm512_set1_ps(wq[(2 * q + 1) * 16 + j]), acc[j]);
                }
            }
        }
        const __mmask16 mo = (__mmask16)lanes(g.OW - c0, 16);
        float* d = o + (int64_t)oh * g.OW + c0;
        SDK_UNROLL for (int j = 0; j < 16; ++j) {
            if (j >= nb) break;
            const __m512 v = act16(acc[j], kind, lo, hi);
            if (c0 + 16 <= g.OW)
                _mm512_storeu_ps(d + j * plane, v);
            else
                _mm512_mask_storeu_ps(d + j * plane, mo, v);
        }
    }
}

}  // namespace

bool x86_stem512_fits(const ConvGeom& g) {
    return g.group == 1 && g.C <= kStem512MaxC && (g.KW == 3 || g.KW == 5 || g.KW == 7) && g.KH >= 1 &&
           g.KH <= kStem512MaxK && g.sh == 2 && g.sw == 2 && g.dh == 1 && g.dw == 1;
}

void x86_stem_rows_avx512(const ConvGeom& g, const float* x, const float* w, const float* b, float* y, int64_t begin,
                          int64_t end) {
    const int nblk = (g.OC + 15) / 16;
    const int64_t plane = (int64_t)g.OH * g.OW;
    const int khw = g.KH * g.KW;
    // (c, kh, kw): 16 channels each
    alignas(64) float wt[kStem512MaxC * kStem512MaxK * kStem512MaxK * 16];
    float bias[16];
    int loaded = -1;
    for (int64_t t = begin; t < end; ++t) {
        const int oh = (int)(t % g.OH), ob = (int)(t / g.OH % nblk), n = (int)(t / g.OH / nblk);
        const int oc0 = ob * 16, nb = g.OC - oc0 < 16 ? g.OC - oc0 : 16;
        if (ob != loaded) {
            for (int c = 0; c < g.C; ++c)
                for (int k = 0; k < khw; ++k)
                    for (int j = 0; j < 16; ++j)
                        wt[(c * khw + k) * 16 + j] = j < nb ? w[((int64_t)(oc0 + j) * g.C + c) * khw + k] : 0.0f;
            for (int j = 0; j < 16; ++j) bias[j] = b && j < nb ? b[oc0 + j] : 0.0f;
            loaded = ob;
        }
        float* o = y + ((int64_t)n * g.OC + oc0) * plane;
        const float* xn = x + (int64_t)n * g.C * g.H * g.W;
        if (g.KW == 3)
            stem512_row<3>(g, xn, wt, bias, o, nb, oh);
        else if (g.KW == 5)
            stem512_row<5>(g, xn, wt, bias, o, nb, oh);
        else
            stem512_row<7>(g, xn, wt, bias, o, nb, oh);
        if (!act16_fused(g.act.kind))  // (act16 applied the others in the register)
            for (int j = 0; j < nb; ++j) act_span_f32(o + j * plane + (int64_t)oh * g.OW, g.OW, g.act);
    }
}

bool x86_dw512_fits(const ConvGeom& g) {
    return (g.C == g.group && g.KH == 3 && g.KW == 3 && g.dh == 1 && g.dw == 1 && g.sh == 1 && g.sw == 1 &&
           g.pt == 1 && g.pl == 1 && g.pb == 1 && g.pr == 1) || s2_fits(g) || flat5_fits(g) || s2k5_fits(g);
}

namespace {
// Planes up to this many outputs are copied between zero margins first: most of their
// vectors would otherwise take the masked (edge) loads (14x14: ~12% faster; 28x28 no
// gain, 56x56 slower).
constexpr int64_t kFlatCopyMax = 400;
// (5x5: 2W + 2 zeros before the plane, 2W + 16 * kFlatU + 32 after it)
inline int64_t flat_front(const ConvGeom& g) {
    return ((g.KH == 5 ? 2 * (int64_t)g.W + 2 : (int64_t)g.W + 1) + 15) / 16 * 16;
}
inline int64_t flat_copy_floats(const ConvGeom& g) {
    return flat_front(g) + (int64_t)g.OH * g.OW + 16 * kFlatU + (int64_t)(g.KH == 5 ? 2 : 1) * g.W + 32;
}
// column masks: one uint32 per vector (3x3) or one uint64 (5x5), in floats rounded up to 16
inline int64_t flat_mask_floats(const ConvGeom& g) {
    return (flat_vectors(g) * (g.KH == 5 ? 2 : 1) + 16) / 16 * 16;
}
}  // namespace

int64_t x86_dw512_scratch_floats(const ConvGeom& g) {
    if (s2_fits(g) || s2k5_fits(g)) return 16;
    const int64_t P = (int64_t)g.OH * g.OW;
    // column masks (uint32), then the copy
    return flat_mask_floats(g) + (P <= kFlatCopyMax ? flat_copy_floats(g) : 0);
}

void x86_dw_range_avx512(const ConvGeom& g, const float* x, const float* w, const float* b, float* y,
                         int64_t begin, int64_t end, float* scratch) {
    if (s2_fits(g) || s2k5_fits(g)) {
        const bool k5 = s2k5_fits(g);
        const int mult = g.OC / g.C;
        const int64_t iplane = (int64_t)g.H * g.W, P = (int64_t)g.OH * g.OW;
        int oc = (int)(begin % g.OC);
        for (int64_t t = begin; t < end; ++t, oc = oc + 1 == g.OC ? 0 : oc + 1) {
            const float* xin = x + (mult == 1 ? t : t / mult) * iplane;
            float* out = y + t * P;
            if (k5 && g.OW > 8)
                s2k5_plane<Z16>(g, xin, w + (int64_t)oc * 25, b ? b[oc] : 0.0f, out);
            else if (k5)
                s2k5_plane<Y8>(g, xin, w + (int64_t)oc * 25, b ? b[oc] : 0.0f, out);
            else if (g.OW > 8)
                s2_plane<Z16>(g, xin, w + (int64_t)oc * 9, b ? b[oc] : 0.0f, out);
            else
                s2_plane<Y8>(g, xin, w + (int64_t)oc * 9, b ? b[oc] : 0.0f, out);
            if (!act16_fused(g.act.kind)) act_span_f32(out, P, g.act);
        }
        return;
    }
    const bool five = flat5_fits(g);
    uint32_t* cm = reinterpret_cast<uint32_t*>(scratch);
    if (five)
        flat5_colmasks(g, reinterpret_cast<uint64_t*>(scratch));
    else
        flat_colmasks(g, cm);
    const int64_t nvec = flat_vectors(g), P = (int64_t)g.OH * g.OW;
    const bool pad = P <= kFlatCopyMax;
    float* buf = scratch + flat_mask_floats(g);
    const int64_t front = flat_front(g);
    if (pad) memset(buf, 0, (size_t)flat_copy_floats(g) * sizeof(float));
    const int mult = g.OC / g.C;
    const int64_t iplane = (int64_t)g.H * g.W;
    // plane t: output channel oc = t % OC of image t / OC, input plane t / mult (no
    // divisions per plane: they cost as much as a 7x7 plane's multiply-adds)
    int oc = (int)(begin % g.OC);
    for (int64_t t = begin; t < end; ++t, oc = oc + 1 == g.OC ? 0 : oc + 1) {
        const float* xin = x + (mult == 1 ? t : t / mult) * iplane;
        float* out = y + t * P;
        if (pad) {
            memcpy(buf + front, xin, (size_t)P * sizeof(float));
            xin = buf + front;
        }
        if (five)
            flat5_plane(xin, reinterpret_cast<const uint64_t*>(scratch), nvec, P, g.W, w + (int64_t)oc * 25,
                        b ? b[oc] : 0.0f, out, g.act.kind, g.act.lo, g.act.hi, pad);
        else
            flat_plane(xin, cm, nvec, P, g.W, w + (int64_t)oc * 9, b ? b[oc] : 0.0f, out, g.act.kind, g.act.lo,
                       g.act.hi, pad);
        if (!act16_fused(g.act.kind)) act_span_f32(out, P, g.act);
    }
}

}  // namespace ref
}  // namespace sdk
#endif
