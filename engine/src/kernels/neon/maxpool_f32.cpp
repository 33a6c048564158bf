// NEON fp32 MaxPool plane (ARMv7 and AArch64): stride 1 or 2 along W, any kernel,
// padding, dilation and stride along H. Interior columns take 8 (then 4) outputs per
// block, one vector load per tap (stride 2: VLD2 de-interleaves two neighbouring taps), the
// last 1-3 interior columns a 4-output block ending at the interior's end; border columns
// use the ref formula. 3-wide stride-2 windows (dilation 1) have their own copy with the
// taps unrolled: one VLD2 for taps 0-1, tap 2 by VEXT from it and the one value after it, so a
// block reads only its windows and the row's last column needs no scalar formula. The max is a compare + select in the ref's tap
// order (a NaN never wins, as in the ref), so results equal the ref's exactly.
#include "kernels/ref/pool.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>

#include "kernels/neon/cmp_neon.h"
#include <math.h>

#include "kernels/neon/pool_neon.h"
#include "kernels/unroll.h"

namespace sdk {
namespace ref {
namespace {

__attribute__((always_inline)) inline float32x4_t vmax(float32x4_t m, float32x4_t x) {
    return vbslq_f32(neon_cgt(x, m), x, m);
}

// U vectors of 4 outputs from column ow on. KW > 0: the kernel width and stride SW (dilation 1)
// known at compile time (the 3x3 stride-2 pools of SqueezeNet/ResNet/Inception: the taps
// unrolled, no per-row loop over them); KW == 0: p's (any width, stride, dilation).
template <int U, int KW, int SW>
__attribute__((always_inline)) inline void block(const PoolParams& p, const float* const* rows, int nr, int ow,
                                                 float* o) {
    float32x4_t m[U];
    SDK_UNROLL for (int u = 0; u < U; ++u) m[u] = vdupq_n_f32(-INFINITY);
    const int kwn = KW > 0 ? KW : p.KW, sw = KW > 0 ? SW : p.sw, dw = KW > 0 ? 1 : p.dw;
    for (int t = 0; t < nr; ++t) {
        const float* s = rows[t] + ow * sw - p.pl;
        int kw = 0;
        if (KW == 3 && SW == 2) {  // taps 0 and 1: even and odd lanes of one load; tap 2: the even
                                   // lanes moved by one, the last from the value after the load
            SDK_UNROLL for (int u = 0; u < U; ++u) {
                const float32x4x2_t v = vld2q_f32(s + 8 * u);
                const float32x4_t t2 = vextq_f32(v.val[0], vld1q_dup_f32(s + 8 * u + 8), 1);
                m[u] = vmax(vmax(vmax(m[u], v.val[0]), v.val[1]), t2);
            }
            continue;
        }
        if (sw == 2 && dw == 1) {  // taps kw and kw + 1: even and odd lanes of one load
            SDK_UNROLL for (; kw + 2 <= kwn; kw += 2)
                SDK_UNROLL for (int u = 0; u < U; ++u) {
                    const float32x4x2_t v = vld2q_f32(s + kw + 8 * u);
                    m[u] = vmax(vmax(m[u], v.val[0]), v.val[1]);
                }
        }
        SDK_UNROLL for (; kw < kwn; ++kw)
            SDK_UNROLL for (int u = 0; u < U; ++u)
                m[u] = vmax(m[u], sw == 1 ? vld1q_f32(s + kw * dw + 4 * u) : vld2q_f32(s + kw * dw + 8 * u).val[0]);
    }
    SDK_UNROLL for (int u = 0; u < U; ++u) vst1q_f32(o + 4 * u, m[u]);
}

template <int KW, int SW>
void plane(const PoolParams& p, const float* x, float* y) {
    int32_t lo, end;
    neon_pool::interior(p, &lo, &end, KW == 3 && SW == 2);  // (3-wide blocks read only their windows)
    const float* rows[neon_pool::kMaxRows];
    for (int oh = 0; oh < p.OH; ++oh) {
        const int nr = neon_pool::window_rows(p, x, oh, rows);
        float* o = y + (int64_t)oh * p.OW;
        auto scalar = [&](int ow) {  // the ref formula
            float m = -INFINITY;
            for (int t = 0; t < nr; ++t)
                for (int kw = 0; kw < p.KW; ++kw) {
                    const int iw = ow * p.sw - p.pl + kw * p.dw;
                    if (iw >= 0 && iw < p.W) m = rows[t][iw] > m ? rows[t][iw] : m;
                }
            o[ow] = m;
        };
        int ow = 0;
        for (; ow < lo && ow < p.OW; ++ow) scalar(ow);
        for (; ow + 8 <= end; ow += 8) block<2, KW, SW>(p, rows, nr, ow, o + ow);
        for (; ow + 4 <= end; ow += 4) block<1, KW, SW>(p, rows, nr, ow, o + ow);
        if (ow < end && end - 4 >= lo) {  // the last 1-3 interior columns: a block ending at end
            block<1, KW, SW>(p, rows, nr, end - 4, o + end - 4);  // (recomputes a few: the same values)
            ow = end;
        }
        for (; ow < p.OW; ++ow) scalar(ow);
    }
}

}  // namespace

void neon_maxpool_plane_f32(const PoolParams& p, const float* x, float* y) {
    if (p.KW == 3 && p.sw == 2 && p.dw == 1) return plane<3, 2>(p, x, y);
    plane<0, 0>(p, x, y);
}

}  // namespace ref
}  // namespace sdk
#endif
