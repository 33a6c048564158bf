// NEON int8 AveragePool plane (ARMv7 and AArch64): stride 1 or 2 along W, kernels of at
// most 255 taps (the sums stay in int16 lanes). Interior columns take 8 outputs per block:
// SADDW sums the taps, then the ref's round-half-away division by the window's count,
// exactly, as a multiply by a magic number (Granlund-Montgomery: for n < 2^15 and
// d <= 255, n / d == n * (2^(15 + l) / d + 1) >> (15 + l), l = ceil(log2 d), in uint32).
// Border columns use the ref formula.
#include "kernels/pool_s8.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>

#include "kernels/neon/pool_neon.h"

namespace sdk {
namespace s8 {
namespace {

// round-half-away(a / cnt) of 4 lanes, |a| <= 128 * cnt: magic m, shift k
__attribute__((always_inline)) inline int32x4_t div4(int32x4_t a, int32_t half, uint32_t m, int32_t k) {
    const uint32x4_t n = vaddq_u32(vreinterpretq_u32_s32(vabsq_s32(a)), vdupq_n_u32((uint32_t)half));
    const int32x4_t q = vreinterpretq_s32_u32(vshlq_u32(vmulq_u32(n, vdupq_n_u32(m)), vdupq_n_s32(-k)));
    return vbslq_s32(vcltq_s32(a, vdupq_n_s32(0)), vnegq_s32(q), q);
}

}  // namespace

void averagepool_plane_s8_neon(const PoolGeom& g, int32_t zp, const int8_t* x, int8_t* y) {
    int32_t lo, end;
    neon_pool::interior(g, &lo, &end);
    const int8_t* rows[neon_pool::kMaxRows];
    const int ph = g.H + g.pt + g.pb, pw = g.W + g.pl + g.pr;  // padded extent
    for (int oh = 0; oh < g.OH; ++oh) {
        const int nr = neon_pool::window_rows(g, x, oh, rows);
        int8_t* o = y + (int64_t)oh * g.OW;
        int prow = 0;  // kernel rows inside the padded input
        for (int kh = 0; kh < g.KH; ++kh) prow += oh * g.sh - g.pt + kh * g.dh + g.pt < ph;
        auto scalar = [&](int ow) {  // the ref formula
            int32_t sum = 0, valid = 0, padded = 0;
            for (int kw = 0; kw < g.KW; ++kw) {
                const int iw = ow * g.sw - g.pl + kw * g.dw;
                if (iw + g.pl < pw) padded += prow;
                if (iw < 0 || iw >= g.W) continue;
                for (int t = 0; t < nr; ++t) sum += rows[t][iw];
                valid += nr;
            }
            int32_t cnt = valid;
            if (g.include_pad) {
                sum += zp * (padded - valid);
                cnt = padded;
            }
            if (cnt == 0) {
                o[ow] = (int8_t)zp;
                return;
            }
            sum += sum >= 0 ? cnt / 2 : -(cnt / 2);
            const int32_t v = sum / cnt;
            o[ow] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
        };
        // interior columns: every kernel column inside the row
        const int32_t valid = nr * g.KW, padded = prow * g.KW;
        const int32_t cnt = g.include_pad ? padded : valid;
        const int32_t extra = g.include_pad ? zp * (padded - valid) : 0;
        int l = 0;
        while ((1 << l) < cnt) ++l;
        const uint32_t m = cnt > 0 ? (uint32_t)(1u << (15 + l)) / (uint32_t)cnt + 1 : 0;
        int ow = 0;
        for (; ow < lo && ow < g.OW; ++ow) scalar(ow);
        if (cnt > 0 && g.KH * g.KW <= 255) {
            for (; ow + 8 <= end; ow += 8) {
                int16x8_t s = vdupq_n_s16(0);
                for (int t = 0; t < nr; ++t) {
                    const int8_t* r = rows[t] + ow * g.sw - g.pl;
                    for (int kw = 0; kw < g.KW; ++kw)
                        s = vaddw_s8(s, g.sw == 1 ? vld1_s8(r + kw * g.dw) : vld2_s8(r + kw * g.dw).val[0]);
                }
                const int32x4_t a0 = vaddq_s32(vmovl_s16(vget_low_s16(s)), vdupq_n_s32(extra));
                const int32x4_t a1 = vaddq_s32(vmovl_s16(vget_high_s16(s)), vdupq_n_s32(extra));
                const int16x8_t q = vcombine_s16(vqmovn_s32(div4(a0, cnt / 2, m, 15 + l)),
                                                 vqmovn_s32(div4(a1, cnt / 2, m, 15 + l)));
                vst1_s8(o + ow, vqmovn_s16(q));  // saturating: the ref's clamp to [-128, 127]
            }
        }
        for (; ow < g.OW; ++ow) scalar(ow);
    }
}

}  // namespace s8
}  // namespace sdk
#endif
