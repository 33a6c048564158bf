// NEON fp32 MaxPool plane (ARMv7 and AArch64): stride 1 or 2 along W, any kernel,
// padding, dilation and stride along H. Interior columns take 8 (then 4) outputs per
// block, one vector load per tap (stride 2: VLD2 de-interleaves two neighbouring taps);
// border columns use the ref formula. The max is a compare + select in the ref's tap
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

// U vectors of 4 outputs from column ow on.
template <int U>
__attribute__((always_inline)) inline void block(const PoolParams& p, const float* const* rows, int nr, int ow,
                                                 float* o) {
    float32x4_t m[U];
    SDK_UNROLL for (int u = 0; u < U; ++u) m[u] = vdupq_n_f32(-INFINITY);
    for (int t = 0; t < nr; ++t) {
        const float* s = rows[t] + ow * p.sw - p.pl;
        int kw = 0;
        if (p.sw == 2 && p.dw == 1) {  // taps kw and kw + 1: even and odd lanes of one load
            for (; kw + 2 <= p.KW; kw += 2)
                SDK_UNROLL for (int u = 0; u < U; ++u) {
                    const float32x4x2_t v = vld2q_f32(s + kw + 8 * u);
                    m[u] = vmax(vmax(m[u], v.val[0]), v.val[1]);
                }
        }
        for (; kw < p.KW; ++kw)
            SDK_UNROLL for (int u = 0; u < U; ++u)
                m[u] = vmax(m[u], p.sw == 1 ? vld1q_f32(s + kw * p.dw + 4 * u)
                                            : vld2q_f32(s + kw * p.dw + 8 * u).val[0]);
    }
    SDK_UNROLL for (int u = 0; u < U; ++u) vst1q_f32(o + 4 * u, m[u]);
}

}  // namespace

void neon_maxpool_plane_f32(const PoolParams& p, const float* x, float* y) {
    int32_t lo, end;
    neon_pool::interior(p, &lo, &end);
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
        for (; ow + 8 <= end; ow += 8) block<2>(p, rows, nr, ow, o + ow);
        for (; ow + 4 <= end; ow += 4) block<1>(p, rows, nr, ow, o + ow);
        for (; ow < p.OW; ++ow) scalar(ow);
    }
}

}  // namespace ref
}  // namespace sdk
#endif
