// AVX2 fp32 MaxPool plane (x86, chosen at run time with the AVX2 fp32 tier): stride 1 or 2
// along W, any kernel, padding, dilation and stride along H. Interior columns take 16
// (then 8) outputs per block, one load per tap (stride 2: two loads de-interleaved into
// the even and odd columns, so taps kw and kw + 1 share them); border columns take masked blocks
// (x86/pool_edge_avx2.h). MAXPS(x, m) is (x > m ? x : m), the ref's comparison in the ref's tap order
// (a NaN never wins), so results equal the ref's exactly. (The portable plane was scalar
// with a bounds check per tap: ResNet's and SqueezeNet's pools cost ~5-20 % of the model.)
#include "kernels/ref/pool.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "kernels/neon/pool_neon.h"  // the interior columns and window rows (ISA-independent)
#include "kernels/x86/pool_edge_avx2.h"
#include "kernels/unroll.h"

namespace sdk {
namespace ref {
namespace {

#define SDK_POOL_HOT SDK_HOT_TARGET("avx2,fma")

using pool_edge::deinterleave;

// U vectors of 8 outputs from column ow on.
template <int U>
SDK_POOL_HOT inline void block(const PoolParams& p, const float* const* rows, int nr, int ow, float* o) {
    __m256 m[U];
    SDK_UNROLL for (int u = 0; u < U; ++u) m[u] = _mm256_set1_ps(-INFINITY);
    for (int t = 0; t < nr; ++t) {
        const float* s = rows[t] + ow * p.sw - p.pl;
        int kw = 0;
        if (p.sw == 2 && p.dw == 1) {  // taps kw and kw + 1: even and odd columns of the same loads
            for (; kw + 2 <= p.KW; kw += 2)
                SDK_UNROLL for (int u = 0; u < U; ++u) {
                    m[u] = _mm256_max_ps(deinterleave<0>(s + kw + 16 * u), m[u]);
                    m[u] = _mm256_max_ps(deinterleave<1>(s + kw + 16 * u), m[u]);
                }
        }
        for (; kw < p.KW; ++kw)
            SDK_UNROLL for (int u = 0; u < U; ++u)
                m[u] = _mm256_max_ps(p.sw == 1 ? _mm256_loadu_ps(s + kw * p.dw + 8 * u)
                                                : deinterleave<0>(s + kw * p.dw + 16 * u),
                                     m[u]);
    }
    SDK_UNROLL for (int u = 0; u < U; ++u) _mm256_storeu_ps(o + 8 * u, m[u]);
}

// 3x3 windows at stride 2 on a Relu's outputs (p.nonneg: >= +0, no NaN, no -0, so a plain max in
// any order is the ref's result; -inf padding keeps that): per 16 input columns the 3 rows'
// maximum first (2 loads a row, no shuffle) and of the 17th column (a broadcast), then the taps
// as its even, odd and next even columns. 9 loads and 2 de-interleaving shuffles per 8 outputs
// where the generic block above de-interleaves each row 3 times (12 loads, 9 shuffles).
template <int U>
SDK_POOL_HOT inline void block3s2(const float* const* rows, int nr, int ow, int pl, float* o) {
    const __m256i next = _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 7);
    SDK_UNROLL for (int u = 0; u < U; ++u) {
        const float* s = rows[0] + 2 * (ow + 8 * u) - pl;
        __m256 a = _mm256_loadu_ps(s), b = _mm256_loadu_ps(s + 8), c = _mm256_broadcast_ss(s + 16);
        for (int t = 1; t < nr; ++t) {
            s = rows[t] + 2 * (ow + 8 * u) - pl;
            a = _mm256_max_ps(a, _mm256_loadu_ps(s));
            b = _mm256_max_ps(b, _mm256_loadu_ps(s + 8));
            c = _mm256_max_ps(c, _mm256_broadcast_ss(s + 16));
        }
        const __m256 e = pool_edge::even_odd<0>(a, b), d = pool_edge::even_odd<1>(a, b);
        const __m256 e2 = _mm256_blend_ps(_mm256_permutevar8x32_ps(e, next), c, 0x80);  // lanes: e[1..7], c
        _mm256_storeu_ps(o + 8 * u, _mm256_max_ps(_mm256_max_ps(e, d), e2));
    }
}

// A narrow plane on its padded rows (pool_edge::pad_rows): blocks only.
SDK_POOL_HOT void plane_padded(const PoolParams& p, const float* x, float* y, int pw) {
    alignas(32) float buf[pool_edge::kPadFloats];
    PoolParams q;
    pool_edge::pad_rows(p, x, pw, -INFINITY, buf, &q);
    const float* rows[neon_pool::kMaxRows];
    for (int oh = 0; oh < p.OH; ++oh) {
        const int nr = neon_pool::window_rows(q, buf, oh, rows);
        float* o = y + (int64_t)oh * p.OW;
        int ow = 0;
        for (; ow + 16 <= p.OW; ow += 16) block<2>(q, rows, nr, ow, o + ow);
        for (; ow + 8 <= p.OW; ow += 8) block<1>(q, rows, nr, ow, o + ow);
        if (ow < p.OW) {
            alignas(32) float t[8];
            block<1>(q, rows, nr, ow, t);
            memcpy(o + ow, t, (size_t)(p.OW - ow) * sizeof(float));
        }
    }
}

SDK_POOL_HOT void plane_generic(const PoolParams& p, const float* x, float* y) {
    if (const int pw = pool_edge::padded_width(p)) return plane_padded(p, x, y, pw);
    int32_t lo, end;
    neon_pool::interior(p, &lo, &end);
    const float* rows[neon_pool::kMaxRows];
    for (int oh = 0; oh < p.OH; ++oh) {
        const int nr = neon_pool::window_rows(p, x, oh, rows);
        float* o = y + (int64_t)oh * p.OW;
        int ow = 0;
        for (; ow < lo && ow < p.OW; ow += 8) pool_edge::max8(p, rows, nr, ow, o);
        for (; ow + 16 <= end; ow += 16) block<2>(p, rows, nr, ow, o + ow);
        for (; ow + 8 <= end; ow += 8) block<1>(p, rows, nr, ow, o + ow);
        for (; ow < p.OW; ow += 8) pool_edge::max8(p, rows, nr, ow, o);
    }
}

// The plane of block3s2: no padded copy (each block reads only its windows' columns, so every
// output whose window is inside the row is an interior one: the last block overlaps the one
// before instead of a tail), the border columns (padding) as the generic plane's.
// SqueezeNet's three pools (no padding) ran 4.6x onnxruntime's time on AVX2 when copied into
// padded rows and de-interleaved per tap.
SDK_POOL_HOT void plane_3s2_nonneg(const PoolParams& p, const float* x, float* y) {
    int32_t lo, end;
    neon_pool::interior(p, &lo, &end, true);
    if (end - lo < 8) return plane_generic(p, x, y);
    const float* rows[neon_pool::kMaxRows];
    for (int oh = 0; oh < p.OH; ++oh) {
        const int nr = neon_pool::window_rows(p, x, oh, rows);
        float* o = y + (int64_t)oh * p.OW;
        int ow = 0;
        for (; ow < lo; ow += 8) pool_edge::max8(p, rows, nr, ow, o);
        for (; ow + 16 <= end; ow += 16) block3s2<2>(rows, nr, ow, p.pl, o + ow);
        for (; ow + 8 <= end; ow += 8) block3s2<1>(rows, nr, ow, p.pl, o + ow);
        if (ow < end) block3s2<1>(rows, nr, end - 8, p.pl, o + end - 8);
        for (ow = end; ow < p.OW; ow += 8) pool_edge::max8(p, rows, nr, ow, o);
    }
}

SDK_POOL_HOT void plane_avx2(const PoolParams& p, const float* x, float* y) {
    if (p.nonneg && p.KH == 3 && p.KW == 3 && p.sh == 2 && p.sw == 2 && p.dh == 1 && p.dw == 1)
        return plane_3s2_nonneg(p, x, y);
    plane_generic(p, x, y);
}

}  // namespace

bool x86_maxpool_fits(const PoolParams& p) { return neon_pool::fits(p); }

void x86_maxpool_plane_f32(const PoolParams& p, const float* x, float* y) { plane_avx2(p, x, y); }

}  // namespace ref
}  // namespace sdk
#endif
