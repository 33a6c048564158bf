// NEON fp32 depthwise 3x3 convolution (ARMv7 and AArch64), stride 1 or 2, any padding;
// ref::conv_f32 takes it for such geometries while the fp32 NEON tier is on
// (SDK_F32_GEMM=ref or neon_sgemm_set_enabled(0) keep the portable loops).
//
// Per plane, the input rows are first copied into a zero-padded plane in the thread's
// scratch (padded column j = input column j - pl), wide enough that every block reads
// whole vectors without border checks. A block is 2 output rows x 8 columns: 4
// accumulators, each input vector loaded once for both rows (stride 1: 4 input rows x 3
// taps; stride 2: 5 rows, VLD2 de-interleaving even and odd columns). Weights stay in 5
// D registers and are used by lane (FMLA by element on AArch64; ARMv7 has no fused
// multiply-add without VFPv4, so VMLA there: the same arithmetic as the portable loops).
// Relu/Clip are applied in registers (compare + select: act_f32's exact NaN semantics),
// other activations over the stored row.
#include "kernels/ref/conv.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>
#include <string.h>

namespace sdk {
namespace ref {
namespace {

#if defined(__aarch64__)
#define SDK_MLA_LANE(acc, x, w, lane) vfmaq_lane_f32(acc, x, w, lane)
#else
#define SDK_MLA_LANE(acc, x, w, lane) vmlaq_lane_f32(acc, x, w, lane)
#endif

struct Layout {
    int32_t nv;  // blocks of 8 output columns per row
    int32_t pw;  // floats per padded row
    int32_t ph;  // padded rows (output rows rounded up to pairs)
};

inline Layout layout(const ConvGeom& g) {
    Layout l;
    l.nv = (g.OW + 7) / 8;
    l.pw = g.sw * 8 * l.nv + 2;  // the last block's last load ends at pw - 1
    l.ph = ((g.OH + 1) / 2 * 2 - 1) * g.sh + 3;
    return l;
}

// Tap t of the 3x3 kernel, by lane of the weight pairs w[t / 2].
template <int T>
__attribute__((always_inline)) inline float32x4_t tap(float32x4_t acc, float32x4_t x, const float32x2_t* w) {
    return SDK_MLA_LANE(acc, x, w[T / 2], T % 2);
}

struct Acc {
    float32x4_t a0, a1, b0, b1;  // output row 0 (columns 0-3, 4-7), row 1
};

// Padded input row RR of a stride-1 block (rows 0-3): taps of output row 0 (kh = RR) and
// row 1 (kh = RR - 1).
template <int RR>
__attribute__((always_inline)) inline void row_s1(Acc& a, const float* r, const float32x2_t* w) {
    const float32x4_t x00 = vld1q_f32(r), x01 = vld1q_f32(r + 4);
    const float32x4_t x10 = vld1q_f32(r + 1), x11 = vld1q_f32(r + 5);
    const float32x4_t x20 = vld1q_f32(r + 2), x21 = vld1q_f32(r + 6);
    if constexpr (RR <= 2) {
        a.a0 = tap<RR * 3>(a.a0, x00, w);
        a.a1 = tap<RR * 3>(a.a1, x01, w);
        a.a0 = tap<RR * 3 + 1>(a.a0, x10, w);
        a.a1 = tap<RR * 3 + 1>(a.a1, x11, w);
        a.a0 = tap<RR * 3 + 2>(a.a0, x20, w);
        a.a1 = tap<RR * 3 + 2>(a.a1, x21, w);
    }
    if constexpr (RR >= 1) {
        a.b0 = tap<(RR - 1) * 3>(a.b0, x00, w);
        a.b1 = tap<(RR - 1) * 3>(a.b1, x01, w);
        a.b0 = tap<(RR - 1) * 3 + 1>(a.b0, x10, w);
        a.b1 = tap<(RR - 1) * 3 + 1>(a.b1, x11, w);
        a.b0 = tap<(RR - 1) * 3 + 2>(a.b0, x20, w);
        a.b1 = tap<(RR - 1) * 3 + 2>(a.b1, x21, w);
    }
}

// Padded input row RR of a stride-2 block (rows 0-4): 16 + 2 columns de-interleaved;
// output row 0 takes kh = RR, row 1 kh = RR - 2.
template <int RR>
__attribute__((always_inline)) inline void row_s2(Acc& a, const float* r, const float32x2_t* w) {
    const float32x4x2_t p = vld2q_f32(r), q = vld2q_f32(r + 8);
    const float32x4_t e0 = vextq_f32(p.val[0], q.val[0], 1), e1 = vld2q_f32(r + 10).val[0];
    if constexpr (RR <= 2) {
        a.a0 = tap<RR * 3>(a.a0, p.val[0], w);
        a.a1 = tap<RR * 3>(a.a1, q.val[0], w);
        a.a0 = tap<RR * 3 + 1>(a.a0, p.val[1], w);
        a.a1 = tap<RR * 3 + 1>(a.a1, q.val[1], w);
        a.a0 = tap<RR * 3 + 2>(a.a0, e0, w);
        a.a1 = tap<RR * 3 + 2>(a.a1, e1, w);
    }
    if constexpr (RR >= 2) {
        a.b0 = tap<(RR - 2) * 3>(a.b0, p.val[0], w);
        a.b1 = tap<(RR - 2) * 3>(a.b1, q.val[0], w);
        a.b0 = tap<(RR - 2) * 3 + 1>(a.b0, p.val[1], w);
        a.b1 = tap<(RR - 2) * 3 + 1>(a.b1, q.val[1], w);
        a.b0 = tap<(RR - 2) * 3 + 2>(a.b0, e0, w);
        a.b1 = tap<(RR - 2) * 3 + 2>(a.b1, e1, w);
    }
}

__attribute__((always_inline)) inline float32x4_t act4(float32x4_t v, const ActParams& act) {
    const float32x4_t zero = vdupq_n_f32(0.0f);
    if (act.kind == kActRelu) return vbslq_f32(vcgtq_f32(v, zero), v, zero);
    if (act.kind == kActClip) {
        const float32x4_t lo = vdupq_n_f32(act.lo), hi = vdupq_n_f32(act.hi);
        v = vbslq_f32(vcltq_f32(v, lo), lo, v);
        v = vbslq_f32(vcgtq_f32(v, hi), hi, v);
    }
    return v;
}

// A row's last block (n < 8) or an activation other than Relu/Clip: out of line, so the
// common path below makes no call (a call would spill the weight registers every block).
__attribute__((noinline)) void store8_slow(float* o, int n, float32x4_t v0, float32x4_t v1, const ActParams& act) {
    float t[8];
    vst1q_f32(t, v0);
    vst1q_f32(t + 4, v1);
    memcpy(o, t, (size_t)n * sizeof(float));
    if (act.kind != kActNone && act.kind != kActRelu && act.kind != kActClip) act_span_f32(o, n, act);
}

// n (1..8) outputs at o; Relu/Clip in registers, other activations in memory.
__attribute__((always_inline)) inline void store8(float* o, int n, float32x4_t v0, float32x4_t v1,
                                                  const ActParams& act, bool fast) {
    v0 = act4(v0, act);
    v1 = act4(v1, act);
    if (n == 8 && fast) {
        vst1q_f32(o, v0);
        vst1q_f32(o + 4, v1);
    } else {
        store8_slow(o, n, v0, v1, act);
    }
}

// The plane's padded rows: row i holds input row i - pt (zeros outside the input).
void fill(const ConvGeom& g, const Layout& l, const float* x, float* P) {
    const int pl = g.pl < l.pw ? g.pl : l.pw;
    const int n = g.W < l.pw - pl ? g.W : l.pw - pl;  // input columns the blocks read
    for (int i = 0; i < l.ph; ++i) {
        float* d = P + (int64_t)i * l.pw;
        const int ih = i - g.pt;
        if (ih < 0 || ih >= g.H) {
            memset(d, 0, (size_t)l.pw * sizeof(float));
            continue;
        }
        memset(d, 0, (size_t)pl * sizeof(float));
        memcpy(d + pl, x + (int64_t)ih * g.W, (size_t)n * sizeof(float));
        memset(d + pl + n, 0, (size_t)(l.pw - pl - n) * sizeof(float));
    }
}

template <int S>
void plane(const ConvGeom& g, const Layout& l, const float* P, const float* wk, float bias, float* out) {
    float32x2_t w[5];
    w[0] = vld1_f32(wk);
    w[1] = vld1_f32(wk + 2);
    w[2] = vld1_f32(wk + 4);
    w[3] = vld1_f32(wk + 6);
    w[4] = vdup_n_f32(wk[8]);
    const float32x4_t vb = vdupq_n_f32(bias);
    const bool fast = g.act.kind == kActNone || g.act.kind == kActRelu || g.act.kind == kActClip;
    for (int oh = 0; oh < g.OH; oh += 2) {
        const float* r = P + (int64_t)oh * S * l.pw;
        float* o0 = out + (int64_t)oh * g.OW;
        const bool two = oh + 1 < g.OH;
        for (int c = 0; c < g.OW; c += 8) {
            Acc a = {vb, vb, vb, vb};
            const float* p = r + c * S;
            if (S == 1) {
                row_s1<0>(a, p, w);
                row_s1<1>(a, p + l.pw, w);
                row_s1<2>(a, p + 2 * l.pw, w);
                row_s1<3>(a, p + 3 * l.pw, w);
            } else {
                row_s2<0>(a, p, w);
                row_s2<1>(a, p + l.pw, w);
                row_s2<2>(a, p + 2 * l.pw, w);
                row_s2<3>(a, p + 3 * l.pw, w);
                row_s2<4>(a, p + 4 * l.pw, w);
            }
            const int n = g.OW - c < 8 ? g.OW - c : 8;
            store8(o0 + c, n, a.a0, a.a1, g.act, fast);
            if (two) store8(o0 + g.OW + c, n, a.b0, a.b1, g.act, fast);
        }
    }
}

}  // namespace

bool neon_dw3x3_fits(const ConvGeom& g) {
    return g.C == g.group && g.KH == 3 && g.KW == 3 && g.dh == 1 && g.dw == 1 && g.sh == g.sw &&
           (g.sh == 1 || g.sh == 2);
}

int64_t neon_dw3x3_scratch_floats(const ConvGeom& g) {
    const Layout l = layout(g);
    return (int64_t)l.pw * l.ph + 4;
}

void neon_dw3x3_range(const ConvGeom& g, const float* x, const float* w, const float* b, float* y, int64_t begin,
                      int64_t end, float* scratch) {
    const Layout l = layout(g);
    const int mult = g.OC / g.C;  // depth multiplier
    int64_t filled = -1;          // the input plane in scratch (depth multiplier > 1: reused)
    for (int64_t t = begin; t < end; ++t) {
        const int n = (int)(t / g.OC), oc = (int)(t % g.OC);
        const int64_t in_plane = (int64_t)n * g.C + oc / mult;
        if (in_plane != filled) fill(g, l, x + in_plane * g.H * g.W, scratch);
        filled = in_plane;
        float* out = y + t * g.OH * g.OW;
        const float bias = b ? b[oc] : 0.0f;
        if (g.sw == 1)
            plane<1>(g, l, scratch, w + (int64_t)oc * 9, bias, out);
        else
            plane<2>(g, l, scratch, w + (int64_t)oc * 9, bias, out);
    }
}

}  // namespace ref
}  // namespace sdk
#endif
