// NEON fp32 depthwise 3x3 and 5x5 convolution (ARMv7 and AArch64), stride 1 or 2, any
// padding; ref::conv_f32 takes it for such geometries while the fp32 NEON tier is on
// (SDK_F32_GEMM=ref or neon_sgemm_set_enabled(0) keep the portable loops).
//
// Per plane, the input rows are first copied into a zero-padded plane in the thread's
// scratch (padded column j = input column j - pl), wide enough that every block reads
// whole vectors without border checks. A block is 2 output rows x 8 columns: 4
// accumulators, each input vector loaded once for both rows (stride 1: K + 1 input rows x
// K taps; stride 2: K + 2 rows, VLD2 de-interleaving even and odd columns). Weights stay
// in (K * K + 1) / 2 D registers and are used by lane (FMLA by element on AArch64; ARMv7
// has no fused multiply-add without VFPv4, so VMLA there: the same arithmetic as the
// portable loops). The block is unrolled at compile time over rows and taps (templates on
// K and the stride). Relu/Clip are applied in registers (compare + select: act_f32's exact
// NaN semantics), other activations over the stored plane. (5x5: EfficientNet's and
// MnasNet's depthwise layers, whose 2-pixel borders kept most of a 7x7 or 14x14 plane on
// the portable loops' scalar path.)
#include "kernels/ref/conv.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>

#include "kernels/neon/cmp_neon.h"
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

// K x K kernel (K = g.KW): the last block's last load ends at pw - 1 (stride 1: 8 + K - 2
// columns past its first; stride 2: 16 + K - 2, see row_s2).
inline Layout layout(const ConvGeom& g) {
    Layout l;
    l.nv = (g.OW + 7) / 8;
    l.pw = g.sw * 8 * l.nv + g.KW - 1;
    l.ph = ((g.OH + 1) / 2 * 2 - 1) * g.sh + g.KH;
    return l;
}

// Tap t (row-major over the K x K kernel), by lane of the weight pairs w[t / 2].
template <int T>
__attribute__((always_inline)) inline float32x4_t tap(float32x4_t acc, float32x4_t x, const float32x2_t* w) {
    return SDK_MLA_LANE(acc, x, w[T / 2], T % 2);
}

struct Acc {
    float32x4_t a0, a1, b0, b1;  // output row 0 (columns 0-3, 4-7), row 1
};

// Column tap KW of padded input row RR, inputs x0 (columns 0-3 of the block) and x1
// (4-7): output row 0 takes kh = RR, row 1 kh = RR - S (when those are kernel rows).
template <int K, int S, int RR, int KW>
__attribute__((always_inline)) inline void taps(Acc& a, float32x4_t x0, float32x4_t x1, const float32x2_t* w) {
    if constexpr (RR < K) {
        a.a0 = tap<RR * K + KW>(a.a0, x0, w);
        a.a1 = tap<RR * K + KW>(a.a1, x1, w);
    }
    if constexpr (RR >= S && RR - S < K) {
        a.b0 = tap<(RR - S) * K + KW>(a.b0, x0, w);
        a.b1 = tap<(RR - S) * K + KW>(a.b1, x1, w);
    }
}

// Padded input row RR of a stride-1 block (rows 0..K): column tap KW reads columns
// KW..KW + 7.
template <int K, int RR, int KW = 0>
__attribute__((always_inline)) inline void row_s1(Acc& a, const float* r, const float32x2_t* w) {
    if constexpr (KW < K) {
        taps<K, 1, RR, KW>(a, vld1q_f32(r + KW), vld1q_f32(r + KW + 4), w);
        row_s1<K, RR, KW + 1>(a, r, w);
    }
}

// Padded input row RR of a stride-2 block (rows 0..K + 1): columns 0-15 de-interleaved
// (g.val[0] even, g.val[1] odd); column tap KW = 2m + par takes lanes par + 2m + 2j:
// columns 0-3 from g by extraction, 4-7 by their own de-interleaving load at 8 + KW.
template <int K, int RR, int KW = 0>
__attribute__((always_inline)) inline void row_s2(Acc& a, const float* r, const float32x2_t* w, float32x4x2_t p,
                                                  float32x4x2_t q) {
    if constexpr (KW < K) {
        constexpr int par = KW % 2, m = KW / 2;
        if constexpr (m == 0)
            taps<K, 2, RR, KW>(a, p.val[par], q.val[par], w);
        else
            taps<K, 2, RR, KW>(a, vextq_f32(p.val[par], q.val[par], m), vld2q_f32(r + 8 + KW).val[0], w);
        row_s2<K, RR, KW + 1>(a, r, w, p, q);
    }
}

// All padded rows of a 2 x 8 block (stride 1: K + 1 rows, stride 2: K + 2).
template <int K, int S, int RR = 0>
__attribute__((always_inline)) inline void rows(Acc& a, const float* p, int64_t pw, const float32x2_t* w) {
    if constexpr (RR < K + S) {
        const float* r = p + RR * pw;
        if constexpr (S == 1)
            row_s1<K, RR>(a, r, w);
        else
            row_s2<K, RR>(a, r, w, vld2q_f32(r), vld2q_f32(r + 8));
        rows<K, S, RR + 1>(a, p, pw, w);
    }
}

__attribute__((always_inline)) inline float32x4_t act4(float32x4_t v, const ActParams& act) {
    const float32x4_t zero = vdupq_n_f32(0.0f);
    if (act.kind == kActRelu) return vbslq_f32(neon_cgt(v, zero), v, zero);
    if (act.kind == kActClip) {
        const float32x4_t lo = vdupq_n_f32(act.lo), hi = vdupq_n_f32(act.hi);
        v = vbslq_f32(neon_clt(v, lo), lo, v);
        v = vbslq_f32(neon_cgt(v, hi), hi, v);
    }
    return v;
}

// A row's last block (n < 8): out of line, so the common path below makes no call (a
// call would spill the weight registers every block).
__attribute__((noinline)) void store8_slow(float* o, int n, float32x4_t v0, float32x4_t v1) {
    float t[8];
    vst1q_f32(t, v0);
    vst1q_f32(t + 4, v1);
    memcpy(o, t, (size_t)n * sizeof(float));
}

// n (1..8) outputs at o; Relu/Clip in registers (other activations: over the whole plane
// once it is stored, see plane).
__attribute__((always_inline)) inline void store8(float* o, int n, float32x4_t v0, float32x4_t v1,
                                                  const ActParams& act) {
    v0 = act4(v0, act);
    v1 = act4(v1, act);
    if (n == 8) {
        vst1q_f32(o, v0);
        vst1q_f32(o + 4, v1);
    } else {
        store8_slow(o, n, v0, v1);
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

template <int K, int S>
void plane(const ConvGeom& g, const Layout& l, const float* P, const float* wk, float bias, float* out) {
    float32x2_t w[(K * K + 1) / 2];
    for (int i = 0; i < K * K / 2; ++i) w[i] = vld1_f32(wk + 2 * i);
    w[K * K / 2] = vdup_n_f32(wk[K * K - 1]);
    const float32x4_t vb = vdupq_n_f32(bias);
    for (int oh = 0; oh < g.OH; oh += 2) {
        const float* r = P + (int64_t)oh * S * l.pw;
        float* o0 = out + (int64_t)oh * g.OW;
        const bool two = oh + 1 < g.OH;
        for (int c = 0; c < g.OW; c += 8) {
            Acc a = {vb, vb, vb, vb};
            rows<K, S>(a, r + c * S, l.pw, w);
            const int n = g.OW - c < 8 ? g.OW - c : 8;
            store8(o0 + c, n, a.a0, a.a1, g.act);
            if (two) store8(o0 + g.OW + c, n, a.b0, a.b1, g.act);
        }
    }
    // HardSwish, Sigmoid, SiLU: one call over the stored plane (per block, each call's
    // set-up cost more than its 8 floats)
    if (g.act.kind != kActNone && g.act.kind != kActRelu && g.act.kind != kActClip)
        act_span_f32(out, (int64_t)g.OH * g.OW, g.act);
}

}  // namespace

bool neon_dw_fits(const ConvGeom& g) {
    return g.C == g.group && g.KH == g.KW && (g.KH == 3 || g.KH == 5) && g.dh == 1 && g.dw == 1 && g.sh == g.sw &&
           (g.sh == 1 || g.sh == 2);
}

int64_t neon_dw_scratch_floats(const ConvGeom& g) {
    const Layout l = layout(g);
    return (int64_t)l.pw * l.ph + 4;
}

void neon_dw_range(const ConvGeom& g, const float* x, const float* w, const float* b, float* y, int64_t begin,
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
        const float* wk = w + (int64_t)oc * g.KH * g.KW;
        if (g.KW == 3) {
            if (g.sw == 1)
                plane<3, 1>(g, l, scratch, wk, bias, out);
            else
                plane<3, 2>(g, l, scratch, wk, bias, out);
        } else if (g.sw == 1) {
            plane<5, 1>(g, l, scratch, wk, bias, out);
        } else {
            plane<5, 2>(g, l, scratch, wk, bias, out);
        }
    }
}

}  // namespace ref
}  // namespace sdk
#endif
