// AVX2 fp32 AveragePool plane (x86, chosen at run time with the AVX2 fp32 tier): stride 1
// or 2 along W, any kernel, padding and stride along H, no dilation. Interior columns take
// 16 (then 8) outputs per block, the taps summed in the ref's order and divided like the
// ref (VDIVPS by the same count), so results equal the ref's (up to the sign of a zero sum);
// border columns (and planes too narrow for a block: 7x7) take masked blocks
// (x86/pool_edge_avx2.h). (The portable plane was scalar with a bounds check per tap:
// Inception's 3x3 stride-1 AveragePools cost ~15 % of the model.)
#include "kernels/ref/pool.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include <string.h>

#include "kernels/neon/pool_neon.h"  // the interior columns and window rows (ISA-independent)
#include "kernels/x86/pool_edge_avx2.h"
#include "kernels/unroll.h"

namespace sdk {
namespace ref {
namespace {

#define SDK_AVGPOOL_HOT SDK_HOT_TARGET("avx2,fma")

using pool_edge::deinterleave;

// U vectors of 8 outputs from column ow on, divided by cnt.
template <int U>
SDK_AVGPOOL_HOT inline void block(const PoolParams& p, const float* const* rows, int nr, int ow, __m256 cnt,
                                  float* o) {
    __m256 s[U];
    SDK_UNROLL for (int u = 0; u < U; ++u) s[u] = _mm256_setzero_ps();
    for (int t = 0; t < nr; ++t) {
        const float* r = rows[t] + ow * p.sw - p.pl;
        int kw = 0;
        if (p.sw == 2) {  // taps kw and kw + 1: even and odd columns of the same loads
            for (; kw + 2 <= p.KW; kw += 2)
                SDK_UNROLL for (int u = 0; u < U; ++u) {
                    s[u] = _mm256_add_ps(s[u], deinterleave<0>(r + kw + 16 * u));
                    s[u] = _mm256_add_ps(s[u], deinterleave<1>(r + kw + 16 * u));
                }
        }
        for (; kw < p.KW; ++kw)
            SDK_UNROLL for (int u = 0; u < U; ++u)
                s[u] = _mm256_add_ps(s[u], p.sw == 1 ? _mm256_loadu_ps(r + kw + 8 * u) : deinterleave<0>(r + kw + 16 * u));
    }
    SDK_UNROLL for (int u = 0; u < U; ++u) _mm256_storeu_ps(o + 8 * u, _mm256_div_ps(s[u], cnt));
}

// A narrow plane on its padded rows (pool_edge::pad_rows, zeros outside the input): blocks
// of 8 divided by the ref's count per column, cw[ow] times the window's rows (0 where it is 0).
SDK_AVGPOOL_HOT void plane_padded(const PoolParams& p, const float* x, float* y, int pw) {
    alignas(32) float buf[pool_edge::kPadFloats];
    alignas(32) float cw[pool_edge::kPadMaxOW + 8];
    for (int ow = 0; ow < (p.OW + 7) / 8 * 8; ++ow) {
        const int ws = ow * p.sw - p.pl;
        const int we = ws + p.KW > p.W + p.pr ? p.W + p.pr : ws + p.KW;
        const int wsc = ws < 0 ? 0 : ws, wec = we > p.W ? p.W : we;
        cw[ow] = ow >= p.OW ? 1.0f : (float)(p.count_include_pad ? we - ws : (wec > wsc ? wec - wsc : 0));
    }
    PoolParams q;
    pool_edge::pad_rows(p, x, pw, 0.0f, buf, &q);
    const float* rows[neon_pool::kMaxRows];
    const __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
    for (int oh = 0; oh < p.OH; ++oh) {
        const int nr = neon_pool::window_rows(q, buf, oh, rows);
        float* o = y + (int64_t)oh * p.OW;
        const int hs = oh * p.sh - p.pt;
        const int he = hs + p.KH > p.H + p.pb ? p.H + p.pb : hs + p.KH;
        const int hsc = hs < 0 ? 0 : hs, hec = he > p.H ? p.H : he;
        const __m256 ch = _mm256_set1_ps((float)(p.count_include_pad ? he - hs : (hec > hsc ? hec - hsc : 0)));
        for (int ow = 0; ow < p.OW; ow += 8) {
            __m256 s = zero;
            for (int t = 0; t < nr; ++t) {
                const float* r = rows[t] + ow * q.sw;
                int kw = 0;
                if (q.sw == 2) {
                    for (; kw + 2 <= q.KW; kw += 2) {
                        s = _mm256_add_ps(s, deinterleave<0>(r + kw));
                        s = _mm256_add_ps(s, deinterleave<1>(r + kw));
                    }
                }
                for (; kw < q.KW; ++kw) s = _mm256_add_ps(s, q.sw == 1 ? _mm256_loadu_ps(r + kw) : deinterleave<0>(r + kw));
            }
            // the count is a product of small integers: exact in float, as the ref's (float)cnt
            const __m256 d = _mm256_mul_ps(_mm256_load_ps(cw + ow), ch);
            const __m256 pos = _mm256_cmp_ps(d, zero, _CMP_GT_OQ);
            const __m256 r = _mm256_and_ps(_mm256_div_ps(s, _mm256_blendv_ps(one, d, pos)), pos);
            if (ow + 8 <= p.OW) {
                _mm256_storeu_ps(o + ow, r);
            } else {
                alignas(32) float t[8];
                _mm256_store_ps(t, r);
                memcpy(o + ow, t, (size_t)(p.OW - ow) * sizeof(float));
            }
        }
    }
}

SDK_AVGPOOL_HOT void plane_avx2(const PoolParams& p, const float* x, float* y) {
    if (const int pw = pool_edge::padded_width(p)) return plane_padded(p, x, y, pw);
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
        // interior columns: the whole kernel width is inside the row
        const int cnt = (p.count_include_pad ? he - hs : hec - hsc) * p.KW;
        int ow = 0;
        for (; ow < lo && ow < p.OW; ow += 8) pool_edge::avg8(p, rows, nr, ow, hs, he, hsc, hec, o);
        if (cnt > 0) {
            const __m256 d = _mm256_set1_ps((float)cnt);
            for (; ow + 16 <= end; ow += 16) block<2>(p, rows, nr, ow, d, o + ow);
            for (; ow + 8 <= end; ow += 8) block<1>(p, rows, nr, ow, d, o + ow);
        }
        for (; ow < p.OW; ow += 8) pool_edge::avg8(p, rows, nr, ow, hs, he, hsc, hec, o);
    }
}

}  // namespace

bool x86_averagepool_fits(const PoolParams& p) { return neon_pool::fits(p) && p.dh == 1 && p.dw == 1; }

void x86_averagepool_plane_f32(const PoolParams& p, const float* x, float* y) { plane_avx2(p, x, y); }

}  // namespace ref
}  // namespace sdk
#endif
