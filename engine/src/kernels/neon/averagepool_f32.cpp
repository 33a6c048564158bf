// NEON fp32 AveragePool plane (ARMv7 and AArch64): stride 1 or 2 along W, any kernel,
// padding and stride along H. Interior columns take 8 (then 4) outputs per block, the
// taps summed in the ref's order (so the sums are the ref's, bit for bit); border
// columns use the ref formula. AArch64 divides like the ref (FDIV); ARMv7 NEON has no
// divide, so it multiplies by the reciprocal (within an ulp).
#include "kernels/ref/pool.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>

#include "kernels/neon/pool_neon.h"
#include "kernels/unroll.h"

namespace sdk {
namespace ref {
namespace {

// U vectors of 4 outputs from column ow on, divided by cnt.
template <int U>
__attribute__((always_inline)) inline void block(const PoolParams& p, const float* const* rows, int nr, int ow,
                                                 float cnt, float* o) {
    float32x4_t s[U];
    SDK_UNROLL for (int u = 0; u < U; ++u) s[u] = vdupq_n_f32(0.0f);
    for (int t = 0; t < nr; ++t) {
        const float* r = rows[t] + ow * p.sw - p.pl;
        int kw = 0;
        if (p.sw == 2) {  // taps kw and kw + 1: even and odd lanes of one load
            for (; kw + 2 <= p.KW; kw += 2)
                SDK_UNROLL for (int u = 0; u < U; ++u) {
                    const float32x4x2_t v = vld2q_f32(r + kw + 8 * u);
                    s[u] = vaddq_f32(vaddq_f32(s[u], v.val[0]), v.val[1]);
                }
        }
        for (; kw < p.KW; ++kw)
            SDK_UNROLL for (int u = 0; u < U; ++u)
                s[u] = vaddq_f32(s[u], p.sw == 1 ? vld1q_f32(r + kw + 4 * u) : vld2q_f32(r + kw + 8 * u).val[0]);
    }
#if defined(__aarch64__)
    const float32x4_t d = vdupq_n_f32(cnt);
    SDK_UNROLL for (int u = 0; u < U; ++u) vst1q_f32(o + 4 * u, vdivq_f32(s[u], d));
#else
    const float r = 1.0f / cnt;
    SDK_UNROLL for (int u = 0; u < U; ++u) vst1q_f32(o + 4 * u, vmulq_n_f32(s[u], r));
#endif
}

}  // namespace

void neon_averagepool_plane_f32(const PoolParams& p, const float* x, float* y) {
    int32_t lo, end;
    neon_pool::interior(p, &lo, &end);
    const float* rows[neon_pool::kMaxRows];
    for (int oh = 0; oh < p.OH; ++oh) {
        const int nr = neon_pool::window_rows(p, x, oh, rows);
        float* o = y + (int64_t)oh * p.OW;
        // the ref's window rows: [hs, he) inside the padded input, [hsc, hec) inside the input
        const int hs = oh * p.sh - p.pt;
        const int he = hs + p.KH > p.H + p.pb ? p.H + p.pb : hs + p.KH;
        const int hsc = hs < 0 ? 0 : hs, hec = he > p.H ? p.H : he;
        auto scalar = [&](int ow) {  // the ref formula
            const int ws = ow * p.sw - p.pl;
            const int we = ws + p.KW > p.W + p.pr ? p.W + p.pr : ws + p.KW;
            const int wsc = ws < 0 ? 0 : ws, wec = we > p.W ? p.W : we;
            float s = 0.0f;
            for (int t = 0; t < nr; ++t)
                for (int iw = wsc; iw < wec; ++iw) s += rows[t][iw];
            const int cnt = p.count_include_pad ? (he - hs) * (we - ws) : (hec - hsc) * (wec - wsc);
            o[ow] = cnt > 0 ? s / (float)cnt : 0.0f;
        };
        // interior columns: the whole kernel width is inside the row
        const int cnt = (p.count_include_pad ? he - hs : hec - hsc) * p.KW;
        int ow = 0;
        for (; ow < lo && ow < p.OW; ++ow) scalar(ow);
        if (cnt > 0) {
            for (; ow + 8 <= end; ow += 8) block<2>(p, rows, nr, ow, (float)cnt, o + ow);
            for (; ow + 4 <= end; ow += 4) block<1>(p, rows, nr, ow, (float)cnt, o + ow);
        }
        for (; ow < p.OW; ++ow) scalar(ow);
    }
}

}  // namespace ref
}  // namespace sdk
#endif
