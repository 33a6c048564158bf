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

#include "kernels/neon/pool_neon.h"  // the interior columns and window rows (ISA-independent)
#include "kernels/x86/pool_edge_avx2.h"
#include "kernels/unroll.h"

namespace sdk {
namespace ref {
namespace {

#define SDK_AVGPOOL_HOT SDK_HOT_TARGET("avx2,fma")

// 8 even (E = 0) or odd (E = 1) floats of s[0..15].
template <int E>
SDK_AVGPOOL_HOT inline __m256 deinterleave(const float* s) {
    const __m256 a = _mm256_loadu_ps(s), b = _mm256_loadu_ps(s + 8);
    const __m256 x = _mm256_shuffle_ps(a, b, E ? _MM_SHUFFLE(3, 1, 3, 1) : _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(x), _MM_SHUFFLE(3, 1, 2, 0)));
}

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

SDK_AVGPOOL_HOT void plane_avx2(const PoolParams& p, const float* x, float* y) {
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
