// NEON int8 MaxPool plane (ARMv7 and AArch64): stride 1 or 2 along W, any kernel,
// padding, dilation and stride along H. Interior columns take 16 (then 8) outputs per
// block, one load per tap (stride 2: VLD2 de-interleaves two neighbouring taps) and SMAX;
// border columns use the ref formula. Integer max: the ref's results exactly.
#include "kernels/pool_s8.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>

#include "kernels/neon/pool_neon.h"

namespace sdk {
namespace s8 {
namespace {

// 16 outputs from column ow on.
void block16(const PoolGeom& g, const int8_t* const* rows, int nr, int ow, int8_t* o) {
    int8x16_t m = vdupq_n_s8(-128);
    for (int t = 0; t < nr; ++t) {
        const int8_t* s = rows[t] + ow * g.sw - g.pl;
        int kw = 0;
        if (g.sw == 2 && g.dw == 1) {  // taps kw and kw + 1: even and odd lanes of one load
            for (; kw + 2 <= g.KW; kw += 2) {
                const int8x16x2_t v = vld2q_s8(s + kw);
                m = vmaxq_s8(m, vmaxq_s8(v.val[0], v.val[1]));
            }
        }
        for (; kw < g.KW; ++kw) m = vmaxq_s8(m, g.sw == 1 ? vld1q_s8(s + kw * g.dw) : vld2q_s8(s + kw * g.dw).val[0]);
    }
    vst1q_s8(o, m);
}

// 8 outputs from column ow on (called twice: not inlined, code size).
__attribute__((noinline)) void block8(const PoolGeom& g, const int8_t* const* rows, int nr, int ow, int8_t* o) {
    int8x8_t m = vdup_n_s8(-128);
    for (int t = 0; t < nr; ++t) {
        const int8_t* s = rows[t] + ow * g.sw - g.pl;
        for (int kw = 0; kw < g.KW; ++kw) m = vmax_s8(m, g.sw == 1 ? vld1_s8(s + kw * g.dw) : vld2_s8(s + kw * g.dw).val[0]);
    }
    vst1_s8(o, m);
}

}  // namespace

void maxpool_plane_s8_neon(const PoolGeom& g, const int8_t* x, int8_t* y) {
    int32_t lo, end;
    neon_pool::interior(g, &lo, &end);
    const int8_t* rows[neon_pool::kMaxRows];
    for (int oh = 0; oh < g.OH; ++oh) {
        const int nr = neon_pool::window_rows(g, x, oh, rows);
        int8_t* o = y + (int64_t)oh * g.OW;
        auto scalar = [&](int ow) {  // the ref formula
            int32_t m = -128;
            for (int t = 0; t < nr; ++t)
                for (int kw = 0; kw < g.KW; ++kw) {
                    const int iw = ow * g.sw - g.pl + kw * g.dw;
                    if (iw >= 0 && iw < g.W && rows[t][iw] > m) m = rows[t][iw];
                }
            o[ow] = (int8_t)m;
        };
        int ow = 0;
        for (; ow < lo && ow < g.OW; ++ow) scalar(ow);
        for (; ow + 16 <= end; ow += 16) block16(g, rows, nr, ow, o + ow);
        for (; ow + 8 <= end; ow += 8) block8(g, rows, nr, ow, o + ow);
        if (ow < end && end - lo >= 8) {  // the last 1-7 interior columns: a block ending at end
            block8(g, rows, nr, end - 8, o + end - 8);  // (recomputes a few: max is idempotent)
            ow = end;
        }
        for (; ow < g.OW; ++ow) scalar(ow);
    }
}

}  // namespace s8
}  // namespace sdk
#endif
