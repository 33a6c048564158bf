// AVX2 + FMA fp32 depthwise convolution (x86 / x86_64, chosen at run time like the GEMM
// tile in common_f32.cpp; SDK_F32_GEMM=ref turns both off).
//
// Per (image, channel): the needed input rows are copied once into a zero-padded plane in
// the thread's scratch, each row split into `sw` phases (stride 2: even columns, then odd
// columns), so every tap of 8 neighbouring outputs is ONE contiguous unaligned load with
// no border checks, whatever the padding, stride (1 or 2 along W) or dilation. Output
// vectors (row, 8 columns) are processed 4 at a time (4 independent FMA chains), rows of
// 7 or 14 columns included: a short row is a masked store, not a scalar loop.
#include "kernels/ref/conv.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include <string.h>

#include "kernels/sgemm_x86.h"
#include "kernels/x86/act_avx2.h"
#include "kernels/unroll.h"

namespace sdk {
namespace ref {
namespace {

constexpr int kMaxTaps = 49;  // 7x7 kernels and smaller
#if defined(__i386__)
constexpr int kDwUnits = 4;  // 8 vector registers
#else
constexpr int kDwUnits = 8;  // 8 FMA chains in flight
#endif
  // 7x7 kernels and smaller

struct DwLayout {
    int64_t L;     // floats per phase of a padded row
    int64_t RS;    // floats per padded row (sw phases)
    int64_t rows;  // padded rows the outputs read
};

DwLayout dw_layout(const ConvGeom& g) {
    DwLayout d;
    const int64_t nv = (g.OW + 7) / 8;
    d.L = (nv * 8 + (int64_t)(g.KW - 1) * g.dw / g.sw + 7) / 8 * 8;  // a multiple of 8 (fill_row)
    d.RS = d.L * g.sw;
    d.rows = (int64_t)(g.OH - 1) * g.sh + (int64_t)(g.KH - 1) * g.dh + 1;
    return d;
}

// Copies n floats, reading none past s + n; the last vector is stored whole with zeros
// in the lanes past n (masked stores are slow on some CPUs; see fill_row for why the
// zeros are harmless).
__attribute__((target("avx2,fma"), always_inline)) inline void copy_f32(float* d, const float* s, int64_t n) {
    int64_t k = 0;
    for (; k + 8 <= n; k += 8) _mm256_storeu_ps(d + k, _mm256_loadu_ps(s + k));
    if (k < n) {
        const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - k)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        _mm256_storeu_ps(d + k, _mm256_maskload_ps(s + k, m));
    }
}

// The input columns of padded row `dst` (padded column j = m * sw + q, input column
// j - pl, stored at dst[q * L + m]); the padding around them is zeroed once per range,
// so a plane costs one pass over its input. Stride 1: the last vector may spill up to 7
// zeros past L, into padding, into a row filled after it (rows go in order) or into the
// 8 spare floats at the end of the scratch. [x0, x1) is the whole input tensor: loads
// outside a row but inside it are safe (the extra lanes are masked to 0 after the load).
SDK_X86_HOT void fill_row(const ConvGeom& g, const float* src, float* dst, int64_t L,
                                                  const float* x0, const float* x1) {
    if (g.sw == 1) {
        if (g.pl < L) copy_f32(dst + g.pl, src, L - g.pl < g.W ? L - g.pl : (int64_t)g.W);
        return;
    }
    // sw == 2: 16 padded columns [j, j + 16) -> 8 even ones (phase 0) + 8 odd ones
    // (phase 1), from one pair of loads; L is a multiple of 8, so no store spills.
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), eight = _mm256_set1_epi32(8);
    for (int64_t j = 0; j < 2 * L; j += 16) {
        const int64_t i = j - g.pl;  // input column of lane 0
        if (i + 16 <= 0) continue;
        if (i >= g.W) break;
        __m256 a, b;
        if (i >= 0 && i + 16 <= g.W) {
            a = _mm256_loadu_ps(src + i);
            b = _mm256_loadu_ps(src + i + 8);
        } else {
            // lane k holds input column i + k: valid for -i <= k < W - i
            const __m256i vlo = _mm256_set1_epi32((int)(i < 0 ? -i : 0) - 1);
            const __m256i vhi = _mm256_set1_epi32((int)(g.W - i < 16 ? g.W - i : 16));
            const __m256i k1 = _mm256_add_epi32(lane, eight);
            const __m256i m0 = _mm256_and_si256(_mm256_cmpgt_epi32(lane, vlo), _mm256_cmpgt_epi32(vhi, lane));
            const __m256i m1 = _mm256_and_si256(_mm256_cmpgt_epi32(k1, vlo), _mm256_cmpgt_epi32(vhi, k1));
            if (src + i >= x0 && src + i + 16 <= x1) {
                a = _mm256_and_ps(_mm256_loadu_ps(src + i), _mm256_castsi256_ps(m0));
                b = _mm256_and_ps(_mm256_loadu_ps(src + i + 8), _mm256_castsi256_ps(m1));
            } else {
                a = _mm256_maskload_ps(src + i, m0);
                b = _mm256_maskload_ps(src + i + 8, m1);
            }
        }
        // [a0 a2 b0 b2 | a4 a6 b4 b6] -> [a0 a2 a4 a6 b0 b2 b4 b6], odd lanes alike
        const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
        const __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
        _mm256_storeu_ps(dst + j / 2, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8)));
        _mm256_storeu_ps(dst + L + j / 2, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), 0xD8)));
    }
}

// NT taps known at compile time (9 = 3x3), 0 = any count. Units (row, 8 columns) go U at
// a time: U independent FMA chains hide the FMA latency.
template <int NT, int U>
SDK_X86_HOT void dw_plane(const ConvGeom& g, const float* P, const DwLayout& d,
                                                  const int64_t* off, const float* wt, int ntaps, float bias,
                                                  float* out) {
    const int nv = (g.OW + 7) / 8;
    const int64_t units = (int64_t)g.OH * nv;
    const int kind = g.act.kind;
    const __m256 lo = _mm256_set1_ps(g.act.lo), hi = _mm256_set1_ps(g.act.hi), vb = _mm256_set1_ps(bias);
    const int tail = g.OW - (nv - 1) * 8;  // lanes of a row's last vector
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(tail), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const int64_t in_step = (int64_t)g.sh * d.RS;
    const float* in_row = P;
    float* out_row = out;
    float* const last = out + (int64_t)g.OH * g.OW - 8;  // whole stores up to here stay in the plane
    int c = 0;
    for (int64_t u = 0; u < units; u += U) {
        const int n = units - u < U ? (int)(units - u) : U;
        const float* in[U];
        float* o[U];
        SDK_UNROLL for (int i = 0; i < U; ++i) {
            in[i] = in_row + (int64_t)c * 8;  // spare units (i >= n) repeat the last one
            o[i] = out_row + (int64_t)c * 8;
            if (i + 1 < n && ++c == nv) {
                c = 0;
                in_row += in_step;
                out_row += g.OW;
            }
        }
        if (++c == nv) {
            c = 0;
            in_row += in_step;
            out_row += g.OW;
        }
        __m256 acc[U];
        SDK_UNROLL for (int i = 0; i < U; ++i) acc[i] = vb;
        if (NT > 0) {
            SDK_UNROLL for (int t = 0; t < (NT > 0 ? NT : 1); ++t) {
                const int64_t ot = off[t];
                const __m256 w = _mm256_broadcast_ss(wt + t);
                SDK_UNROLL for (int i = 0; i < U; ++i) acc[i] = _mm256_fmadd_ps(_mm256_loadu_ps(in[i] + ot), w, acc[i]);
            }
        } else {
            for (int t = 0; t < ntaps; ++t) {
                const int64_t ot = off[t];
                const __m256 w = _mm256_broadcast_ss(wt + t);
                SDK_UNROLL for (int i = 0; i < U; ++i) acc[i] = _mm256_fmadd_ps(_mm256_loadu_ps(in[i] + ot), w, acc[i]);
            }
        }
        // Whole-vector stores: a row's short last vector spills into the next row(s), which
        // later units (stored after it) overwrite; only a vector that would spill past the
        // plane (another thread's data) is masked. Masked stores are slow on some CPUs.
        SDK_UNROLL for (int i = 0; i < U; ++i) {
#if defined(__clang__)
            // no break (clang fully unrolls only loops without one): spare units (i >= n)
            // store the last unit's values again
#else
            if (i >= n) break;  // (GCC: cheaper than storing spare units)
#endif
            const __m256 v = x86_act_avx2(acc[i], kind, lo, hi);
            if (o[i] <= last || tail == 8)
                _mm256_storeu_ps(o[i], v);
            else
                _mm256_maskstore_ps(o[i], mask, v);
        }
    }
}


// 8 floats at d, the lanes at or past end (the plane's end: another thread's data) not written.
__attribute__((target("avx2,fma"), always_inline)) inline void store_before(float* d, const float* end, __m256 y) {
    if (d + 8 <= end) {
        _mm256_storeu_ps(d, y);
    } else {
        const __m256i mk =
            _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(end - d)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        _mm256_maskstore_ps(d, mk, y);
    }
}

// ---- Depthwise 3x3, stride 1, dilation 1 on the padded plane: blocks of 3 output rows x 2
// vectors (6 accumulators) with the 9 weights in registers, so each input vector loaded (5
// rows x 3 taps x 2) serves every output row of the block that reads it: 30 loads per 54
// FMAs, where units of one row each load all 9 taps (a load per FMA, loads bound the loop).
// A block's vectors go from the last to the first: a row's short last vector, stored whole,
// spills into the next row's first columns, which are stored after it (the next rows of the
// block, or the next block); only at the plane's end is the store masked.
template <int R, int NV>
__attribute__((target("avx2,fma"), always_inline)) inline void dw3s1_block(const float* p, int64_t RS,
                                                                           const __m256* w, __m256 vb, int kind,
                                                                           __m256 lo, __m256 hi, float* o,
                                                                           int64_t OW, const float* end) {
    __m256 acc[R][NV];
    SDK_UNROLL for (int r = 0; r < R; ++r) SDK_UNROLL for (int v = 0; v < NV; ++v) acc[r][v] = vb;
    SDK_UNROLL for (int ir = 0; ir < R + 2; ++ir) {
        SDK_UNROLL for (int kw = 0; kw < 3; ++kw) {
            SDK_UNROLL for (int v = 0; v < NV; ++v) {
                const __m256 xv = _mm256_loadu_ps(p + ir * RS + kw + 8 * v);
                SDK_UNROLL for (int r = 0; r < R; ++r) {
                    if (ir - r < 0 || ir - r > 2) continue;
                    acc[r][v] = _mm256_fmadd_ps(xv, w[(ir - r) * 3 + kw], acc[r][v]);
                }
            }
        }
    }
    SDK_UNROLL for (int r = 0; r < R; ++r) {
        SDK_UNROLL for (int v = NV - 1; v >= 0; --v) {
            store_before(o + r * OW + 8 * v, end, x86_act_avx2(acc[r][v], kind, lo, hi));
        }
    }
}

constexpr int kDw3Rows = 3, kDw3Vecs = 2;  // (measured against 4 x 1 and 2 x 2 on 7x7 to 112x112 planes)
template <int R>
__attribute__((target("avx2,fma"), always_inline)) inline void dw3s1_rows(const float* p, int64_t RS, int nv,
                                                                          const __m256* w, __m256 vb, int kind,
                                                                          __m256 lo, __m256 hi, float* o, int64_t OW,
                                                                          const float* end) {
    int v = nv;
    if (v & 1) {  // the odd last vector alone, first (see above)
        --v;
        dw3s1_block<R, 1>(p + 8 * v, RS, w, vb, kind, lo, hi, o + 8 * v, OW, end);
    }
    for (v -= kDw3Vecs; v >= 0; v -= kDw3Vecs)
        dw3s1_block<R, kDw3Vecs>(p + 8 * v, RS, w, vb, kind, lo, hi, o + 8 * v, OW, end);
}

SDK_X86_HOT void dw3s1_plane(const ConvGeom& g, const float* P, const DwLayout& d, const float* wk, float bias,
                             float* out) {
    __m256 w[9];
    for (int t = 0; t < 9; ++t) w[t] = _mm256_broadcast_ss(wk + t);
    const __m256 vb = _mm256_set1_ps(bias), lo = _mm256_set1_ps(g.act.lo), hi = _mm256_set1_ps(g.act.hi);
    const int nv = (g.OW + 7) / 8, kind = g.act.kind;
    const float* end = out + (int64_t)g.OH * g.OW;
    int oh = 0;
    for (; oh + kDw3Rows <= g.OH; oh += kDw3Rows)
        dw3s1_rows<kDw3Rows>(P + oh * d.RS, d.RS, nv, w, vb, kind, lo, hi, out + (int64_t)oh * g.OW, g.OW, end);
    for (; oh < g.OH; ++oh) dw3s1_rows<1>(P + oh * d.RS, d.RS, nv, w, vb, kind, lo, hi, out + (int64_t)oh * g.OW, g.OW, end);
}

inline bool dw3s1_blocked(const ConvGeom& g) {
#if defined(__i386__)
    (void)g;
    return false;  // 8 vector registers: the weights would not stay in them
#else
    return g.KH == 3 && g.KW == 3 && g.dh == 1 && g.dw == 1 && g.sh == 1 && g.sw == 1;
#endif
}

// ---- Dense 3x3, stride 2, dilation 1, few input channels (a network's stem): direct,
// no im2col. 8 output channels x 8 output columns in 8 accumulators; per (input channel,
// kernel row) two loads of 16 columns at p and p + 2 give the three taps of the 8
// columns (input columns p + 2j + kw, p = 2 * first column - pl) with one in-lane shuffle
// each, in the lane order [o0 o1 o4 o5 | o2 o3 o6 o7] (_mm256_shuffle_ps keeps 128-bit
// halves apart); one permute per accumulator restores the order before the store. Rows
// above or below the input read a zero row; columns outside it are masked to zero.

// lanes k of a load at input column p that lie inside [0, W)
__attribute__((target("avx2,fma"), always_inline)) inline __m256i cols_in(int64_t p, int W) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i lo = _mm256_set1_epi32((int)(p > 0 ? 0 : -p) - 1), hi = _mm256_set1_epi32((int)(W - p));
    return _mm256_and_si256(_mm256_cmpgt_epi32(lane, lo), _mm256_cmpgt_epi32(hi, lane));
}

constexpr int kStemMaxC = 4;  // input channels the direct stem kernel takes

// 8 output columns from input column p on, nr = C * 3 (channel, kernel row) input rows
// r[i]; wt: 24 weights per input row (kw-major, 8 output channels each). safe[i]: the
// floats an EDGE vector reads around row i are readable (plain loads, then masked), else
// masked loads (the tensor's first and last rows).
template <bool EDGE>
__attribute__((target("avx2,fma"), always_inline)) inline void stem_vec(const float* const* r, const bool* safe,
                                                                        int nr, const float* wt, const float* bias,
                                                                        int64_t p, int W, int kind, __m256 lo,
                                                                        __m256 hi, float* o, int64_t ostride, int nb,
                                                                        int nout) {
    __m256 acc[8];
    SDK_UNROLL for (int j = 0; j < 8; ++j) acc[j] = _mm256_broadcast_ss(bias + j);
    __m256i m0, m1, m2, m3;
    if (EDGE) {
        m0 = cols_in(p, W);
        m1 = cols_in(p + 8, W);
        m2 = cols_in(p + 2, W);
        m3 = cols_in(p + 10, W);
    }
    for (int i = 0; i < nr; ++i) {
        const float* s = r[i] + p;
        __m256 a, b, a2, b2;
        if (EDGE && safe[i]) {
            a = _mm256_and_ps(_mm256_loadu_ps(s), _mm256_castsi256_ps(m0));
            b = _mm256_and_ps(_mm256_loadu_ps(s + 8), _mm256_castsi256_ps(m1));
            a2 = _mm256_and_ps(_mm256_loadu_ps(s + 2), _mm256_castsi256_ps(m2));
            b2 = _mm256_and_ps(_mm256_loadu_ps(s + 10), _mm256_castsi256_ps(m3));
        } else if (EDGE) {
            a = _mm256_maskload_ps(s, m0);
            b = _mm256_maskload_ps(s + 8, m1);
            a2 = _mm256_maskload_ps(s + 2, m2);
            b2 = _mm256_maskload_ps(s + 10, m3);
        } else {
            a = _mm256_loadu_ps(s);
            b = _mm256_loadu_ps(s + 8);
            a2 = _mm256_loadu_ps(s + 2);
            b2 = _mm256_loadu_ps(s + 10);
        }
        const __m256 t0 = _mm256_shuffle_ps(a, b, 0x88), t1 = _mm256_shuffle_ps(a, b, 0xDD),
                     t2 = _mm256_shuffle_ps(a2, b2, 0x88);
        const float* wq = wt + i * 24;
        SDK_UNROLL for (int j = 0; j < 8; ++j) acc[j] = _mm256_fmadd_ps(t0, _mm256_broadcast_ss(wq + j), acc[j]);
        SDK_UNROLL for (int j = 0; j < 8; ++j) acc[j] = _mm256_fmadd_ps(t1, _mm256_broadcast_ss(wq + 8 + j), acc[j]);
        SDK_UNROLL for (int j = 0; j < 8; ++j) acc[j] = _mm256_fmadd_ps(t2, _mm256_broadcast_ss(wq + 16 + j), acc[j]);
    }
    const __m256i mk = _mm256_cmpgt_epi32(_mm256_set1_epi32(nout), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    SDK_UNROLL for (int j = 0; j < 8; ++j) {
        if (j >= nb) break;
        const __m256 v = x86_act_avx2(_mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(acc[j]), 0xD8)), kind, lo, hi);
        if (nout >= 8)
            _mm256_storeu_ps(o + j * ostride, v);
        else
            _mm256_maskstore_ps(o + j * ostride, mk, v);
    }
}

// Output row oh of channels [oc0, oc0 + nb) (nb <= 8) of one image.
SDK_X86_HOT void stem_row(const ConvGeom& g, const float* xin, const float* w, const float* b, float* yimg, int oc0,
                          int nb, int oh, const float* zero, const float* x0, const float* x1) {
    const int nr = g.C * 3;
    float wt[kStemMaxC * 3 * 24], bias[8];
    for (int c = 0; c < g.C; ++c)
        for (int kh = 0; kh < 3; ++kh)
            for (int kw = 0; kw < 3; ++kw)
                for (int j = 0; j < 8; ++j)
                    wt[(c * 3 + kh) * 24 + kw * 8 + j] = j < nb ? w[(((int64_t)(oc0 + j) * g.C + c) * 3 + kh) * 3 + kw] : 0.0f;
    for (int j = 0; j < 8; ++j) bias[j] = b && j < nb ? b[oc0 + j] : 0.0f;
    const int nv = (g.OW + 7) / 8;
    // vectors [v0, v1): all 8 outputs exist and every load (columns p .. p + 17) is inside the row
    int v0 = (g.pl + 15) / 16;
    if (v0 > nv) v0 = nv;
    int v1 = g.W + g.pl - 18 >= 0 ? (g.W + g.pl - 18) / 16 + 1 : 0;
    if (v1 > g.OW / 8) v1 = g.OW / 8;
    if (v1 < v0) v1 = v0;
    // edge vectors read columns [-pl, 16 * nv - pl + 18) of a row
    const int64_t reach_lo = g.pl, reach_hi = 16 * (int64_t)nv - g.pl + 18;
    const float* r[kStemMaxC * 3];
    bool safe[kStemMaxC * 3];
    for (int c = 0; c < g.C; ++c)
        for (int kh = 0; kh < 3; ++kh) {
            const int ih = oh * 2 - g.pt + kh, i = c * 3 + kh;
            const bool in = (unsigned)ih < (unsigned)g.H;
            r[i] = in ? xin + ((int64_t)c * g.H + ih) * g.W : zero;
            safe[i] = in ? r[i] - reach_lo >= x0 && r[i] + reach_hi <= x1 : reach_lo <= 16 && reach_hi <= g.W + 32;
        }
    const int kind = g.act.kind;
    const __m256 lo = _mm256_set1_ps(g.act.lo), hi = _mm256_set1_ps(g.act.hi);
    const int64_t plane = (int64_t)g.OH * g.OW;
    float* o = yimg + oc0 * plane + (int64_t)oh * g.OW;
    for (int v = 0; v < nv; ++v) {
        const int64_t p = 16 * (int64_t)v - g.pl;
        const int nout = g.OW - 8 * v;
        if (v < v0 || v >= v1)
            stem_vec<true>(r, safe, nr, wt, bias, p, g.W, kind, lo, hi, o + 8 * v, plane, nb, nout);
        else
            stem_vec<false>(r, safe, nr, wt, bias, p, g.W, kind, lo, hi, o + 8 * v, plane, nb, 8);
    }
}

}  // namespace

bool x86_stem_fits(const ConvGeom& g) {
    return g.group == 1 && g.C <= kStemMaxC && g.KH == 3 && g.KW == 3 && g.sh == 2 && g.sw == 2 && g.dh == 1 &&
           g.dw == 1;
}

int64_t x86_stem_scratch_floats(const ConvGeom& g) { return (int64_t)g.W + 48; }

void x86_stem_rows_avx2(const ConvGeom& g, const float* x, const float* w, const float* b, float* y, int64_t begin,
                        int64_t end, float* scratch) {
    memset(scratch, 0, (size_t)(g.W + 48) * sizeof(float));  // the zero row and 16 floats before it
    const float* x_end = x + (int64_t)g.N * g.C * g.H * g.W;
    const int nblk = (g.OC + 7) / 8;
    const int64_t plane = (int64_t)g.OH * g.OW;
    for (int64_t t = begin; t < end; ++t) {
        const int oh = (int)(t % g.OH), ob = (int)(t / g.OH % nblk), n = (int)(t / g.OH / nblk);
        const int oc0 = ob * 8, nb = g.OC - oc0 < 8 ? g.OC - oc0 : 8;
        float* yimg = y + (int64_t)n * g.OC * plane;
        stem_row(g, x + (int64_t)n * g.C * g.H * g.W, w, b, yimg, oc0, nb, oh, scratch + 16, x, x_end);
        if (!x86_act_in_register(g.act.kind))
            for (int j = 0; j < nb; ++j) act_span_f32(yimg + (oc0 + j) * plane + (int64_t)oh * g.OW, g.OW, g.act);
    }
}

namespace {
// ---- Depthwise 3x3, stride 2, dilation 1: straight from the input rows, no padded plane
// (the even/odd split copy cost more than the multiply-adds). 4 output rows at a time
// (4 independent FMA chains, whatever the plane's width), a row's vectors from the last to
// the first; stride-2 taps from two loads and one in-lane shuffle each (see stem_vec).
// Columns outside the row are masked to zero, rows above or below it read a zero row. A
// row's short last vector is stored whole into the next row, whose first vector is stored
// later; only at the plane's end is the store masked. The kernel takes stride 1 too, but
// there the padded plane (a plain copy, then unmasked loads) measured faster.
template <int S, int U>
__attribute__((target("avx2,fma"), always_inline)) inline void dwn_units(const float* const (*r)[3],
                                                                         const bool (*safe)[3], const float* wk,
                                                                         int64_t p, const __m256i* m, __m256 vb,
                                                                         int kind, __m256 lo, __m256 hi, float* o,
                                                                         int OW, const float* end) {
    constexpr int A = U == 1 ? 3 : 1;  // accumulators per unit (U == 1: 3 chains of 3, not 1 of 9)
    __m256 acc[U][A];
    SDK_UNROLL for (int i = 0; i < U; ++i) SDK_UNROLL for (int k = 0; k < A; ++k) acc[i][k] = k ? _mm256_setzero_ps() : vb;
    SDK_UNROLL for (int kh = 0; kh < 3; ++kh) {
        const __m256 w0 = _mm256_broadcast_ss(wk + 3 * kh), w1 = _mm256_broadcast_ss(wk + 3 * kh + 1),
                     w2 = _mm256_broadcast_ss(wk + 3 * kh + 2);
        const int k = A == 3 ? kh : 0;
        SDK_UNROLL for (int i = 0; i < U; ++i) {
            const float* s = r[i][kh] + p;
            constexpr int NL = S == 1 ? 3 : 4;
            const int offs[4] = {0, S == 1 ? 1 : 8, 2, 10};
            __m256 l[NL];
            SDK_UNROLL for (int q = 0; q < NL; ++q) {
                if (safe[i][kh])
                    l[q] = _mm256_and_ps(_mm256_loadu_ps(s + offs[q]), _mm256_castsi256_ps(m[q]));
                else
                    l[q] = _mm256_maskload_ps(s + offs[q], m[q]);
            }
            if (S == 1) {
                acc[i][k] = _mm256_fmadd_ps(l[0], w0, acc[i][k]);
                acc[i][k] = _mm256_fmadd_ps(l[1], w1, acc[i][k]);
                acc[i][k] = _mm256_fmadd_ps(l[2], w2, acc[i][k]);
            } else {
                acc[i][k] = _mm256_fmadd_ps(_mm256_shuffle_ps(l[0], l[1], 0x88), w0, acc[i][k]);
                acc[i][k] = _mm256_fmadd_ps(_mm256_shuffle_ps(l[0], l[1], 0xDD), w1, acc[i][k]);
                acc[i][k] = _mm256_fmadd_ps(_mm256_shuffle_ps(l[2], l[NL - 1], 0x88), w2, acc[i][k]);
            }
        }
    }
    SDK_UNROLL for (int i = 0; i < U; ++i) {
        __m256 v = acc[i][0];
        if (A == 3) v = _mm256_add_ps(v, _mm256_add_ps(acc[i][1 % A], acc[i][2 % A]));
        if (S == 2) v = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), 0xD8));
        store_before(o + (int64_t)i * OW, end, x86_act_avx2(v, kind, lo, hi));
    }
}

// zero: a row of W + 32 zero floats with 16 readable floats before it; [x0, x1): the input
template <int S>
SDK_X86_HOT void dwn_plane(const ConvGeom& g, const float* xin, const float* zero, const float* wk, float bias,
                           float* out, const float* x0, const float* x1) {
    const int nv = (g.OW + 7) / 8;
    const int kind = g.act.kind;
    const __m256 lo = _mm256_set1_ps(g.act.lo), hi = _mm256_set1_ps(g.act.hi), vb = _mm256_set1_ps(bias);
    const float* end = out + (int64_t)g.OH * g.OW;
    // loads reach columns [-pl, 8 * S * nv - pl + 18) of a row
    const int64_t reach_lo = g.pl, reach_hi = 8 * S * (int64_t)nv - g.pl + 18;
    const bool zero_safe = reach_lo <= 16 && reach_hi <= g.W + 32;
    for (int oh = 0; oh < g.OH;) {
        const int u = g.OH - oh >= 4 ? 4 : 1;
        const float* r[4][3];
        bool safe[4][3];
        for (int i = 0; i < u; ++i)
            for (int kh = 0; kh < 3; ++kh) {
                const int ih = (oh + i) * S - g.pt + kh;
                const bool in = (unsigned)ih < (unsigned)g.H;
                r[i][kh] = in ? xin + (int64_t)ih * g.W : zero;
                safe[i][kh] = in ? r[i][kh] - reach_lo >= x0 && r[i][kh] + reach_hi <= x1 : zero_safe;
            }
        for (int v = nv - 1; v >= 0; --v) {
            const int64_t p = 8 * S * (int64_t)v - g.pl;
            __m256i m[4];
            m[0] = cols_in(p, g.W);
            m[1] = cols_in(p + (S == 1 ? 1 : 8), g.W);
            m[2] = cols_in(p + 2, g.W);
            m[3] = cols_in(p + 10, g.W);
            float* o = out + (int64_t)oh * g.OW + 8 * v;
            if (u == 4)
                dwn_units<S, 4>(r, safe, wk, p, m, vb, kind, lo, hi, o, g.OW, end);
            else
                dwn_units<S, 1>(r, safe, wk, p, m, vb, kind, lo, hi, o, g.OW, end);
        }
        oh += u;
    }
}

inline bool dw3s2_direct(const ConvGeom& g) {
    // stride 1 is faster through the padded plane (a plain copy; unmasked loads)
    return g.KH == 3 && g.KW == 3 && g.dh == 1 && g.dw == 1 && g.sh == 2 && g.sw == 2;
}

}  // namespace

int64_t x86_dw_scratch_floats(const ConvGeom& g) {
    if (g.C != g.group || (g.sw != 1 && g.sw != 2) || g.KH * g.KW > kMaxTaps) return 0;
    if (dw3s2_direct(g)) return (int64_t)g.W + 48;  // the zero row and 16 floats before it
    const DwLayout d = dw_layout(g);
    return d.rows * d.RS + 8;  // + 8: fill_row's spill past the last row
}

void x86_dw_range_avx2(const ConvGeom& g, const float* x, const float* w, const float* b, float* y, int64_t begin,
                       int64_t end, float* scratch) {
    if (dw3s2_direct(g)) {
        memset(scratch, 0, (size_t)(g.W + 48) * sizeof(float));
        const int mult = g.OC / g.C;
        const int64_t plane = (int64_t)g.OH * g.OW;
        const float* x_end = x + (int64_t)g.N * g.C * g.H * g.W;
        for (int64_t t = begin; t < end; ++t) {
            const int n = (int)(t / g.OC), oc = (int)(t % g.OC), c = oc / mult;
            const float* xin = x + ((int64_t)n * g.C + c) * g.H * g.W;
            float* out = y + ((int64_t)n * g.OC + oc) * plane;
            const float bias = b ? b[oc] : 0.0f;
            if (g.sw == 1)
                dwn_plane<1>(g, xin, scratch + 16, w + (int64_t)oc * 9, bias, out, x, x_end);
            else
                dwn_plane<2>(g, xin, scratch + 16, w + (int64_t)oc * 9, bias, out, x, x_end);
            if (!x86_act_in_register(g.act.kind)) act_span_f32(out, plane, g.act);  // Sigmoid/SiLU over the plane
        }
        return;
    }
    const DwLayout d = dw_layout(g);
    memset(scratch, 0, (size_t)(d.rows * d.RS + 8) * sizeof(float));  // the padding, once
    int64_t off[kMaxTaps];
    const int ntaps = g.KH * g.KW;
    for (int kh = 0; kh < g.KH; ++kh)
        for (int kw = 0; kw < g.KW; ++kw) {
            const int64_t j = (int64_t)kw * g.dw;  // padded column of tap kw for output 0
            off[kh * g.KW + kw] = (int64_t)kh * g.dh * d.RS + (j % g.sw) * d.L + j / g.sw;
        }
    // padded rows holding input rows: [r0, r1)
    const int64_t r0 = g.pt, r1 = d.rows < (int64_t)g.pt + g.H ? d.rows : (int64_t)g.pt + g.H;
    const int mult = g.OC / g.C;
    const float* x_end = x + (int64_t)g.N * g.C * g.H * g.W;
    const int64_t plane = (int64_t)g.OH * g.OW;
    for (int64_t t = begin; t < end; ++t) {
        const int n = (int)(t / g.OC), oc = (int)(t % g.OC), c = oc / mult;
        const float* xin = x + ((int64_t)n * g.C + c) * g.H * g.W;
        for (int64_t r = r0; r < r1; ++r) fill_row(g, xin + (r - g.pt) * g.W, scratch + r * d.RS, d.L, x, x_end);
        const float* wk = w + (int64_t)oc * ntaps;
        float* out = y + ((int64_t)n * g.OC + oc) * plane;
        const float bias = b ? b[oc] : 0.0f;
        if (dw3s1_blocked(g))
            dw3s1_plane(g, scratch, d, wk, bias, out);
        else if (ntaps == 9)
            dw_plane<9, kDwUnits>(g, scratch, d, off, wk, ntaps, bias, out);
        else
            dw_plane<0, 4>(g, scratch, d, off, wk, ntaps, bias, out);
        if (!x86_act_in_register(g.act.kind)) act_span_f32(out, plane, g.act);  // Sigmoid/SiLU over the plane
    }
}

// ---- Grouped convolution with few channels per group (RegNet's 8-channel groups): direct,
// no im2col. Per (image, group, band of output rows) the group's input rows are copied once
// into padded planes laid out like the depthwise kernel's (stride-2 columns split into
// phases; a band's planes ~64 KB), so every tap of 8 neighbouring outputs is one unaligned load. Units (row, 8 columns) go 3 at
// a time against 4 output channels: 12 accumulators, 3 loads and 4 broadcasts per 12 FMAs
// (one unit x 8 channels needs 9 loads per 8). The group's output-channel blocks run
// inside the unit loop, so the rows a unit reads stay in L1 across them. An im2col GEMM
// over K = 72 (8 channels x 3x3) spends as much on copying as on multiply-adds.
namespace {
constexpr int kGrpOcb = 4;  // output channels per block
#if defined(__i386__)
constexpr int kGrpU = 1;  // 8 vector registers
#else
constexpr int kGrpU = 3;  // units per pass
#endif

template <int U, int B>
__attribute__((target("avx2,fma"), always_inline)) inline void grp_tap(const float* const* in, int64_t ot,
                                                                       const float* const* wq, int t,
                                                                       __m256 (*acc)[B]) {
    __m256 xv[U];
    SDK_UNROLL for (int i = 0; i < U; ++i) xv[i] = _mm256_loadu_ps(in[i] + ot);
    SDK_UNROLL for (int k = 0; k < B; ++k) {
        const __m256 w = _mm256_broadcast_ss(wq[k] + t);
        SDK_UNROLL for (int i = 0; i < U; ++i) acc[i][k] = _mm256_fmadd_ps(xv[i], w, acc[i][k]);
    }
}

// Output rows [oh0, oh0 + nrows) of the group's ocg channels (out: their first plane), from
// the padded input rows of those rows only (P: rows from oh0 * sh on, cstride floats apart
// per input channel).
template <int NT>
SDK_X86_HOT void grp_band(const ConvGeom& g, const float* P, int64_t cstride, const DwLayout& d, const int64_t* off,
                          int cg, int ntaps, const float* wg, const float* bg, const float* zero, int ocg, float* out,
                          int oh0, int nrows) {
    constexpr int U = kGrpU, B = kGrpOcb;
    const int nv = (g.OW + 7) / 8;
    const int64_t units = (int64_t)nrows * nv, plane = (int64_t)g.OH * g.OW;
    const int kind = g.act.kind;
    const __m256 lo = _mm256_set1_ps(g.act.lo), hi = _mm256_set1_ps(g.act.hi);
    const int tail = g.OW - (nv - 1) * 8;
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(tail), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const int64_t in_step = (int64_t)g.sh * d.RS, last = plane - 8;
    const int64_t K = (int64_t)cg * ntaps;  // weights per output channel
    const float* in_row = P;
    int64_t out_row = (int64_t)oh0 * g.OW;  // offsets in the whole plane: masking at its end only
    int c = 0;
    for (int64_t u = 0; u < units; u += U) {
        const int n = units - u < U ? (int)(units - u) : U;
        const float* in[U];
        int64_t o[U];
        SDK_UNROLL for (int i = 0; i < U; ++i) {
            in[i] = in_row + (int64_t)c * 8;  // spare units (i >= n) repeat the last one
            o[i] = out_row + (int64_t)c * 8;
            if (i + 1 < n && ++c == nv) {
                c = 0;
                in_row += in_step;
                out_row += g.OW;
            }
        }
        if (++c == nv) {
            c = 0;
            in_row += in_step;
            out_row += g.OW;
        }
        for (int ob = 0; ob < ocg; ob += B) {
            const int nb = ocg - ob < B ? ocg - ob : B;
            // the block's weight rows read in place (rows past ocg: a zero row), one broadcast each
            const float* wq[B];
            __m256 acc[U][B];
            SDK_UNROLL for (int k = 0; k < B; ++k) {
                wq[k] = k < nb ? wg + (ob + k) * K : zero;
                const __m256 vb = _mm256_set1_ps(bg && k < nb ? bg[ob + k] : 0.0f);
                SDK_UNROLL for (int i = 0; i < U; ++i) acc[i][k] = vb;
            }
            for (int ic = 0; ic < cg; ++ic) {
                const int64_t co = (int64_t)ic * cstride;
                if (NT > 0) {
                    SDK_UNROLL for (int t = 0; t < (NT > 0 ? NT : 1); ++t) grp_tap<U, B>(in, co + off[t], wq, t, acc);
                } else {
                    for (int t = 0; t < ntaps; ++t) grp_tap<U, B>(in, co + off[t], wq, t, acc);
                }
                SDK_UNROLL for (int k = 0; k < B; ++k) wq[k] += ntaps;
            }
            // whole-vector stores as in dw_plane: a short last vector spills into the next row,
            // stored after it (the next band's first row too); only one that would leave the plane
            // (into the next channel's, already written) is masked
            SDK_UNROLL for (int k = 0; k < B; ++k) {
                if (k >= nb) break;
                float* ok = out + (int64_t)(ob + k) * plane;
                SDK_UNROLL for (int i = 0; i < U; ++i) {
                    if (i >= n) break;
                    const __m256 v = x86_act_avx2(acc[i][k], kind, lo, hi);
                    if (o[i] <= last || tail == 8)
                        _mm256_storeu_ps(ok + o[i], v);
                    else
                        _mm256_maskstore_ps(ok + o[i], mask, v);
                }
            }
        }
    }
}
}  // namespace

// Output rows per band: the group's padded input rows of a band stay within ~64 KB.
int grp_band_rows(const ConvGeom& g, const DwLayout& d) {
    const int64_t per_row = (int64_t)(g.C / g.group) * g.sh * d.RS;
    int64_t rows = ((int64_t)16384 - (int64_t)(g.KH - 1) * g.dh * d.RS * (g.C / g.group)) / (per_row > 0 ? per_row : 1);
    if (rows < 1) rows = 1;
    return rows < g.OH ? (int)rows : g.OH;
}

bool x86_grp_fits(const ConvGeom& g) {
    const int cg = g.C / g.group, ocg = g.OC / g.group;
    return g.group > 1 && cg > 1 && cg <= kX86GrpMaxC && ocg <= kX86GrpMaxOC && (g.sw == 1 || g.sw == 2) &&
           g.KH * g.KW <= kMaxTaps;
}

int64_t x86_grp_scratch_floats(const ConvGeom& g) {
    if (!x86_grp_fits(g)) return 0;
    const DwLayout d = dw_layout(g);
    const int64_t rows = (int64_t)(grp_band_rows(g, d) - 1) * g.sh + (int64_t)(g.KH - 1) * g.dh + 1;
    return (int64_t)(g.C / g.group) * (rows * d.RS + g.KH * g.KW) + 8;  // the bands' planes, then a zero weight row
}

void x86_grp_range_avx2(const ConvGeom& g, const float* x, const float* w, const float* b, float* y, int64_t begin,
                        int64_t end, float* scratch) {
    const DwLayout d = dw_layout(g);
    const int cg = g.C / g.group, ocg = g.OC / g.group, ntaps = g.KH * g.KW, band = grp_band_rows(g, d);
    const int64_t rows = (int64_t)(band - 1) * g.sh + (int64_t)(g.KH - 1) * g.dh + 1, cstride = rows * d.RS;
    const float* zero = scratch + (int64_t)cg * cstride + 8;
    // the padding columns and the zero row, once: rows only ever get input columns or zeros there
    memset(scratch, 0, (size_t)(cg * (cstride + ntaps) + 8) * sizeof(float));
    int64_t off[kMaxTaps];
    for (int kh = 0; kh < g.KH; ++kh)
        for (int kw = 0; kw < g.KW; ++kw) {
            const int64_t j = (int64_t)kw * g.dw;
            off[kh * g.KW + kw] = (int64_t)kh * g.dh * d.RS + (j % g.sw) * d.L + j / g.sw;
        }
    const float* x_end = x + (int64_t)g.N * g.C * g.H * g.W;
    const int64_t plane = (int64_t)g.OH * g.OW;
    for (int64_t t = begin; t < end; ++t) {
        const int n = (int)(t / g.group), gi = (int)(t % g.group);
        const float* xg = x + ((int64_t)n * g.C + (int64_t)gi * cg) * g.H * g.W;
        float* out = y + ((int64_t)n * g.OC + (int64_t)gi * ocg) * plane;
        const float* wg = w + (int64_t)gi * ocg * cg * ntaps;
        const float* bg = b ? b + (int64_t)gi * ocg : nullptr;
        for (int oh0 = 0; oh0 < g.OH; oh0 += band) {
            const int nr = g.OH - oh0 < band ? g.OH - oh0 : band;
            const int64_t nrows = (int64_t)(nr - 1) * g.sh + (int64_t)(g.KH - 1) * g.dh + 1;
            for (int ic = 0; ic < cg; ++ic)
                for (int64_t r = 0; r < nrows; ++r) {  // padded row oh0 * sh + r: input row ih
                    const int64_t ih = (int64_t)oh0 * g.sh + r - g.pt;
                    float* dst = scratch + ic * cstride + r * d.RS;
                    if (ih >= 0 && ih < g.H)
                        fill_row(g, xg + ((int64_t)ic * g.H + ih) * g.W, dst, d.L, x, x_end);
                    else
                        memset(dst, 0, (size_t)d.RS * sizeof(float));
                }
            // (the taps counted at run time: a 3x3 specialization measured no faster and was 6 KB)
            grp_band<0>(g, scratch, cstride, d, off, cg, ntaps, wg, bg, zero, ocg, out, oh0, nr);
        }
        if (!x86_act_in_register(g.act.kind)) act_span_f32(out, plane * ocg, g.act);  // Sigmoid/SiLU over the planes
    }
}

}  // namespace ref
}  // namespace sdk
#endif
