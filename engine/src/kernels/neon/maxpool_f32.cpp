// NEON fp32 MaxPool plane (ARMv7 and AArch64): stride 1 or 2 along W, any kernel,
// padding, dilation and stride along H. Interior columns take 4 outputs per block, one
// vector load per tap (stride 2: VLD2 de-interleaves two neighbouring taps), the last 1-3
// interior columns a 4-output block ending at the interior's end; border columns
// use the ref formula.
// 3x3 windows of stride 2 (dilation 1: SqueezeNet's, ResNet's and Inception's pools) have their
// own plane: each input row's 3-tap maxima (one VLD2 for taps 0-1, tap 2 by VEXT from it and the
// one value after it) are taken once and kept for the next output row, which shares that input
// row, so an output row reads two new input rows instead of three.
// The max is a compare + select (a NaN never wins, as in the ref): the first maximal value in
// the ref's tap order, which is the first maximal row maximum (rows in order) of the first
// maximal value of each row, so results equal the ref's exactly, down to the sign of a zero.
#include "kernels/ref/pool.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>

#include "kernels/neon/cmp_neon.h"
#include <math.h>
#include <string.h>

#include "kernels/neon/pool_neon.h"
#include "kernels/unroll.h"

namespace sdk {
namespace ref {
namespace {

__attribute__((always_inline)) inline float32x4_t vmax(float32x4_t m, float32x4_t x) {
    return vbslq_f32(neon_cgt(x, m), x, m);
}

// U vectors of 4 outputs from column ow on, the kernel width, stride and dilation p's.
template <int U>
__attribute__((always_inline)) inline void block(const PoolParams& p, const float* const* rows, int nr, int ow,
                                                 float* o) {
    float32x4_t m[U];
    SDK_UNROLL for (int u = 0; u < U; ++u) m[u] = vdupq_n_f32(-INFINITY);
    const int kwn = p.KW, sw = p.sw, dw = p.dw;
    for (int t = 0; t < nr; ++t) {
        const float* s = rows[t] + ow * sw - p.pl;
        int kw = 0;
        if (sw == 2 && dw == 1) {  // taps kw and kw + 1: even and odd lanes of one load
            for (; kw + 2 <= kwn; kw += 2)
                SDK_UNROLL for (int u = 0; u < U; ++u) {
                    const float32x4x2_t v = vld2q_f32(s + kw + 8 * u);
                    m[u] = vmax(vmax(m[u], v.val[0]), v.val[1]);
                }
        }
        for (; kw < kwn; ++kw)
            SDK_UNROLL for (int u = 0; u < U; ++u)
                m[u] = vmax(m[u], sw == 1 ? vld1q_f32(s + kw * dw + 4 * u) : vld2q_f32(s + kw * dw + 8 * u).val[0]);
    }
    SDK_UNROLL for (int u = 0; u < U; ++u) vst1q_f32(o + 4 * u, m[u]);
}

// The ref formula for output (oh, ow) (border columns).
void scalar_out(const PoolParams& p, const float* const* rows, int nr, int ow, float* o) {
    float m = -INFINITY;
    for (int t = 0; t < nr; ++t)
        for (int kw = 0; kw < p.KW; ++kw) {
            const int iw = ow * p.sw - p.pl + kw * p.dw;
            if (iw >= 0 && iw < p.W) m = rows[t][iw] > m ? rows[t][iw] : m;
        }
    o[ow] = m;
}

void plane_any(const PoolParams& p, const float* x, float* y) {
    int32_t lo, end;
    neon_pool::interior(p, &lo, &end);
    const float* rows[neon_pool::kMaxRows];
    for (int oh = 0; oh < p.OH; ++oh) {
        const int nr = neon_pool::window_rows(p, x, oh, rows);
        float* o = y + (int64_t)oh * p.OW;
        int ow = 0;
        for (; ow < lo && ow < p.OW; ++ow) scalar_out(p, rows, nr, ow, o);
        // (4 outputs a block: 3x3 stride-2 windows, the common CNN pool, have their own plane
        // below, so this one is kept small)
        for (; ow + 4 <= end; ow += 4) block<1>(p, rows, nr, ow, o + ow);
        if (ow < end && end - 4 >= lo) {  // the last 1-3 interior columns: a block ending at end
            block<1>(p, rows, nr, end - 4, o + end - 4);  // (recomputes a few: the same values)
            ow = end;
        }
        for (; ow < p.OW; ++ow) scalar_out(p, rows, nr, ow, o);
    }
}

// ---- 3x3 windows, stride 2, dilation 1

// m, then taps 0-2 of one input row for 4 outputs in the ref's order (s: the first window's first
// tap): the 4 windows and nothing past them.
__attribute__((always_inline)) inline float32x4_t taps3(float32x4_t m, const float* s) {
    const float32x4x2_t v = vld2q_f32(s);
    const float32x4_t t2 = vextq_f32(v.val[0], vld1q_dup_f32(s + 8), 1);
    return vmax(vmax(vmax(m, v.val[0]), v.val[1]), t2);
}

// The first maximal value of the row's taps (-inf: a NaN never wins).
__attribute__((always_inline)) inline float32x4_t row3(const float* s) { return taps3(vdupq_n_f32(-INFINITY), s); }

// U vectors of 4 outputs of one output row: h holds row 0's maxima (kept from the row above or
// -inf), row 1's taps follow them (the ref's scan), row 2's maxima (s1, s2: the rows at the block's
// first window; null: outside the input) are taken on their own and written over h for the next
// output row. Full: both rows inside.
template <int U, bool Full>
__attribute__((always_inline)) inline void block3(const float* s1, const float* s2, float* h, float* o) {
    SDK_UNROLL for (int u = 0; u < U; ++u) {
        float32x4_t m = vld1q_f32(h + 4 * u);
        if (Full || s1) m = taps3(m, s1 + 8 * u);
        if (Full || s2) {
            const float32x4_t r = row3(s2 + 8 * u);
            m = vmax(m, r);
            vst1q_f32(h + 4 * u, r);
        }
        vst1q_f32(o + 4 * u, m);
    }
}

constexpr int kChunk = 64;  // interior columns per pass over the plane's rows (h: kChunk floats)

// One output row over a chunk: blocks of 4 columns from column c, their row maxima at h + (the
// column - c); nt: the chunk's columns rounded up to 4, the last block ending at the interior's
// end (it overlaps the one before when the chunk is not a multiple of 4: its own h slot).
// r1, r2: input rows 1 and 2 of the windows, already moved by -pl.
template <bool Full>
void row_blocks3(const float* r1, const float* r2, float* h, float* o, int c, int nt, int end) {
    auto at = [](const float* r, int col) { return r ? r + 2 * col : r; };
    int j = 0;
    if (Full)  // (the rows at the plane's top or bottom edge, 4 at a time: smaller code)
        for (; j + 8 <= nt && c + j + 8 <= end; j += 8) block3<2, Full>(at(r1, c + j), at(r2, c + j), h + j, o + c + j);
    for (; j < nt; j += 4) {
        const int col = c + j < end - 4 ? c + j : end - 4;
        block3<1, Full>(at(r1, col), at(r2, col), h + j, o + col);
    }
}

void plane_3s2(const PoolParams& p, const float* x, float* y) {
    int32_t lo, end;
    neon_pool::interior(p, &lo, &end, true);  // (3-wide blocks read only their windows)
    if (end - lo < 4) return plane_any(p, x, y);
    if (lo > 0 || end < p.OW) {  // the border columns: the ref formula
        const float* rows[3];
        for (int oh = 0; oh < p.OH; ++oh) {
            const int nr = neon_pool::window_rows(p, x, oh, rows);
            float* o = y + (int64_t)oh * p.OW;
            for (int ow = 0; ow < lo; ++ow) scalar_out(p, rows, nr, ow, o);
            for (int ow = end; ow < p.OW; ++ow) scalar_out(p, rows, nr, ow, o);
        }
    }
    float h[kChunk];
    const int64_t W = p.W;
    for (int c = lo; c < end; c += kChunk) {
        const int nt = end - c >= kChunk ? kChunk : (end - c + 3) & ~3;
        const float* r = x - p.pl - p.pt * W;  // input row 0 of output row oh's windows (may be outside)
        float* o = y;
        for (int oh = 0, ih = -p.pt; oh < p.OH; ++oh, ih += 2, r += 2 * W, o += p.OW) {
            const bool in0 = ih >= 0 && ih < p.H, in1 = ih + 1 >= 0 && ih + 1 < p.H, in2 = ih + 2 >= 0 && ih + 2 < p.H;
            if (!in0 || oh == 0)  // row 0's maxima: -inf outside the input, else taken here (first row)
                for (int j = 0; j < nt; j += 4) {
                    const int col = c + j < end - 4 ? c + j : end - 4;
                    vst1q_f32(h + j, in0 ? row3(r + 2 * col) : vdupq_n_f32(-INFINITY));
                }  // (else h holds them: row 0 is the row above's row 2, inside the input)
            if (in1 && in2)
                row_blocks3<true>(r + W, r + 2 * W, h, o, c, nt, end);
            else
                row_blocks3<false>(in1 ? r + W : nullptr, in2 ? r + 2 * W : nullptr, h, o, c, nt, end);
        }
    }
}

#if SDK_FEATURE_WINOGRAD  // (kernels/ref/pool.h)
// ---- 3x3 windows, stride 2, dilation 1, inputs >= +0 and not NaN (p.nonneg: a Relu's output)
// There the ref's compare + select is a plain max in any order: no NaN to skip, and equal values
// are equal bit for bit (no -0 to keep or drop). Such floats order as their bits do, so the max is
// an unsigned integer one (exact for denormals too, which ARMv7's VMAX.F32 would flush): one
// instruction a tap. The three rows first, even and odd columns apart (VLD2), then the columns:
// taps 0 and 1 are the even and odd maxima, tap 2 the next block's even maxima moved by one lane.

// The 3-row maxima of 8 columns from s0/s1/s2, even ones in val[0], odd ones in val[1].
__attribute__((always_inline)) inline uint32x4x2_t rows3(const float* s0, const float* s1, const float* s2) {
    const float32x4x2_t a = vld2q_f32(s0), b = vld2q_f32(s1), c = vld2q_f32(s2);
    uint32x4x2_t m;
    SDK_UNROLL for (int k = 0; k < 2; ++k)
        m.val[k] = vmaxq_u32(vmaxq_u32(vreinterpretq_u32_f32(a.val[k]), vreinterpretq_u32_f32(b.val[k])),
                             vreinterpretq_u32_f32(c.val[k]));
    return m;
}

// 4 outputs from their rows' maxima m and the even maxima e of the 4 columns after them.
__attribute__((always_inline)) inline void out4(uint32x4x2_t m, uint32x4_t e, float* o) {
    vst1q_f32(o, vreinterpretq_f32_u32(vmaxq_u32(vmaxq_u32(m.val[0], m.val[1]), vextq_u32(m.val[0], e, 1))));
}

// 4 outputs at column ow from their rows' maxima m, tap 2 from the one column after their
// windows' first 8 (a row's last block).
__attribute__((always_inline)) inline void last4(uint32x4x2_t m, const float* r0, const float* r1, const float* r2,
                                                 int ow, float* o) {
    const int i = 2 * ow + 8;
    const uint32x4_t t = vmaxq_u32(vmaxq_u32(vld1q_dup_u32(reinterpret_cast<const uint32_t*>(r0 + i)),
                                             vld1q_dup_u32(reinterpret_cast<const uint32_t*>(r1 + i))),
                                   vld1q_dup_u32(reinterpret_cast<const uint32_t*>(r2 + i)));
    out4(m, t, o + ow);
}

// Rows but the plane's last output row run their blocks on past the interior's end where the
// reads stay inside the plane: the 1-3 outputs past it land in this row's right border columns
// (written after the blocks) or the next output row's first ones (written again with that row),
// so no block ending at the end recomputes the last ones.
// A border output: the max of its window's columns c0..c0+2 inside [0, W) of rows q0-q2 (as the
// blocks' rows; at least one column is inside), by the values' bits from +0, the least of them.
__attribute__((always_inline)) inline float border3(const float* q0, const float* q1, const float* q2, int c0,
                                                    int W) {
    uint32_t m = 0;
    for (int i = c0 < 0 ? 0 : c0, e = c0 + 3 < W ? c0 + 3 : W; i < e; ++i) {
        uint32_t a, b, c;
        memcpy(&a, q0 + i, 4);
        memcpy(&b, q1 + i, 4);
        memcpy(&c, q2 + i, 4);
        m = a > m ? a : m;
        m = b > m ? b : m;
        m = c > m ? c : m;
    }
    float f;
    memcpy(&f, &m, 4);
    return f;
}

__attribute__((optimize("O2"))) void plane_3s2_nonneg(const PoolParams& p, const float* x, float* y) {
    int32_t lo, end;
    neon_pool::interior(p, &lo, &end, true);  // (blocks read only their windows)
    if (end - lo < 4) return plane_any(p, x, y);
    const int64_t W = p.W, plane = (int64_t)p.H * W;
    const int nfull = (end - lo - 4) / 4;  // blocks whose next block is inside too: tap 2 from its even maxima
    const int nover = (end - lo + 3) / 4;  // blocks to the end and past it
    const int64_t reach = 2 * lo - p.pl + 8 * (int64_t)nover + 8;  // what those read from a row's start
    const bool border = lo > 0 || end < p.OW;
    for (int oh = 0; oh < p.OH; ++oh) {
        float* o = y + (int64_t)oh * p.OW;
        // the window's rows inside the input (at least one), a row in the padding replaced by one
        // inside (max(v, v) = v)
        const int ih = 2 * oh - p.pt, a = ih > 0 ? ih : 0, b = ih + 2 < p.H ? ih + 2 : p.H - 1;
        const int m1 = ih + 1 >= 0 && ih + 1 < p.H ? ih + 1 : a;
        const float* r0 = x + a * W - p.pl + 2 * lo;
        const float* r1 = x + m1 * W - p.pl + 2 * lo;
        const float* r2 = x + b * W - p.pl + 2 * lo;
        const float *q0 = x + a * W, *q1 = x + m1 * W, *q2 = x + b * W;  // (the border columns')
        const bool over = oh + 1 < p.OH && b * W + reach <= plane;  // (row b is read furthest)
        float* d = o + lo;
        uint32x4x2_t m = rows3(r0, r1, r2);
        for (int k = over ? nover : nfull; k > 0; --k) {
            r0 += 8;
            r1 += 8;
            r2 += 8;
            const uint32x4x2_t n = rows3(r0, r1, r2);
            out4(m, n.val[0], d);
            d += 4;
            m = n;
        }
        if (!over) {
            last4(m, r0, r1, r2, 0, d);
            const int i = 2 * (end - 4 - lo - 4 * nfull);
            if (i > 0)  // the last 1-3: a block ending at end (recomputes up to 3)
                last4(rows3(r0 + i, r1 + i, r2 + i), r0 + i, r1 + i, r2 + i, 0, o + end - 4);
        }
        if (border) {
            for (int ow = 0; ow < lo; ++ow) o[ow] = border3(q0, q1, q2, 2 * ow - p.pl, p.W);
            for (int ow = end; ow < p.OW; ++ow) o[ow] = border3(q0, q1, q2, 2 * ow - p.pl, p.W);
        }
    }
}

#endif

}  // namespace

void neon_maxpool_plane_f32(const PoolParams& p, const float* x, float* y) {
#if SDK_FEATURE_WINOGRAD
    if (p.nonneg && p.KH == 3 && p.KW == 3 && p.sh == 2 && p.sw == 2 && p.dh == 1 && p.dw == 1)
        return plane_3s2_nonneg(p, x, y);
#endif
    if (p.KH == 3 && p.KW == 3 && p.sh == 2 && p.sw == 2 && p.dh == 1 && p.dw == 1) return plane_3s2(p, x, y);
    plane_any(p, x, y);
}

}  // namespace ref
}  // namespace sdk
#endif
