// The border columns of the AVX2 fp32 pooling planes (kernels/x86/{maxpool,averagepool}_f32.cpp):
// 8 outputs from column ow on whose windows may reach past either end of the input row
// (padding, ceil_mode overhang) or past the output row's end. Taps outside the input are
// masked loads (no access), so a 7x7 or 14x14 plane no longer runs mostly the scalar ref
// formula (60+ instructions per output). Header-only, internal linkage.
#pragma once

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "kernels/ref/pool.h"
#include "kernels/unroll.h"

namespace sdk {
namespace ref {
namespace pool_edge {

#define SDK_POOL_EDGE_HOT SDK_HOT_TARGET("avx2,fma")

// Lanes whose index base + lane (times step) lies in [0, n): an AVX2 load/store mask.
SDK_POOL_EDGE_HOT inline __m256i lanes_in(int base, int step, int n) {
    const __m256i idx = _mm256_add_epi32(_mm256_set1_epi32(base),
                                         _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                                            _mm256_set1_epi32(step)));
    return _mm256_and_si256(_mm256_cmpgt_epi32(idx, _mm256_set1_epi32(-1)),
                            _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx));
}

// The even (E = 0) or odd (E = 1) lanes of a:b (16 consecutive floats) as 8 floats in order.
template <int E>
SDK_POOL_EDGE_HOT inline __m256 even_odd(__m256 a, __m256 b) {
    const __m256 x = _mm256_shuffle_ps(a, b, E ? _MM_SHUFFLE(3, 1, 3, 1) : _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(x), _MM_SHUFFLE(3, 1, 2, 0)));
}

// 8 even (E = 0) or odd (E = 1) floats of s[0..15]: the stride-2 columns of the block kernels.
template <int E>
SDK_POOL_EDGE_HOT inline __m256 deinterleave(const float* s) {
    return even_odd<E>(_mm256_loadu_ps(s), _mm256_loadu_ps(s + 8));
}

// Tap kw of row r for the 8 outputs ow..ow+7 (input columns (ow + l) * sw - pl + kw * dw):
// in-row values, `fill` elsewhere. sw is 1 or 2.
SDK_POOL_EDGE_HOT inline __m256 tap(const PoolParams& p, const float* r, int ow, int kw, __m256 fill) {
    const int c0 = ow * p.sw - p.pl + kw * p.dw;  // input column of lane 0
    if (p.sw == 1) {
        const __m256i m = lanes_in(c0, 1, p.W);
        return _mm256_blendv_ps(fill, _mm256_maskload_ps(r + c0, m), _mm256_castsi256_ps(m));
    }
    // stride 2: the even lanes of 16 consecutive columns from c0
    const __m256i m0 = lanes_in(c0, 1, p.W), m1 = lanes_in(c0 + 8, 1, p.W);
    const __m256 a = _mm256_blendv_ps(fill, _mm256_maskload_ps(r + c0, m0), _mm256_castsi256_ps(m0));
    const __m256 b = _mm256_blendv_ps(fill, _mm256_maskload_ps(r + c0 + 8, m1), _mm256_castsi256_ps(m1));
    return even_odd<0>(a, b);
}

// MaxPool: the ref's max (x > m ? x : m: a NaN never wins; no valid tap: -inf).
SDK_POOL_EDGE_HOT inline void max8(const PoolParams& p, const float* const* rows, int nr, int ow, float* o) {
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    __m256 m = ninf;
    for (int t = 0; t < nr; ++t)
        for (int kw = 0; kw < p.KW; ++kw) m = _mm256_max_ps(tap(p, rows[t], ow, kw, ninf), m);
    _mm256_maskstore_ps(o + ow, lanes_in(ow, 1, p.OW), m);
}

// AveragePool: the ref's sum in the ref's order (a tap outside the input adds 0) divided by
// the ref's count per column, 0 where the count is 0. hs/he, hsc/hec: the window rows inside
// the padded input and inside the input.
SDK_POOL_EDGE_HOT inline void avg8(const PoolParams& p, const float* const* rows, int nr, int ow, int hs, int he,
                                   int hsc, int hec, float* o) {
    const __m256 zero = _mm256_setzero_ps();
    __m256 s = zero;
    for (int t = 0; t < nr; ++t)
        for (int kw = 0; kw < p.KW; ++kw) s = _mm256_add_ps(s, tap(p, rows[t], ow, kw, zero));
    alignas(32) int32_t cnt[8];
    for (int l = 0; l < 8; ++l) {
        const int ws = (ow + l) * p.sw - p.pl;
        const int we = ws + p.KW > p.W + p.pr ? p.W + p.pr : ws + p.KW;
        const int wsc = ws < 0 ? 0 : ws, wec = we > p.W ? p.W : we;
        cnt[l] = p.count_include_pad ? (he - hs) * (we - ws) : (hec - hsc) * (wec - wsc);
    }
    const __m256i c = _mm256_load_si256(reinterpret_cast<const __m256i*>(cnt));
    const __m256i pos = _mm256_cmpgt_epi32(c, _mm256_setzero_si256());
    // lanes with no count divide by 1 and are then zeroed (no 0/0 on the way)
    const __m256 d = _mm256_cvtepi32_ps(_mm256_blendv_epi8(_mm256_set1_epi32(1), c, pos));
    const __m256 r = _mm256_and_ps(_mm256_div_ps(s, d), _mm256_castsi256_ps(pos));
    _mm256_maskstore_ps(o + ow, lanes_in(ow, 1, p.OW), r);
}

// ---- Narrow planes (28x28 and less): the input rows copied once per plane into a stack
// buffer with `fill` (0 or -inf) as the left/right padding, so every output column is an
// interior column of the vector blocks (pl = 0 in the returned geometry).
constexpr int kPadFloats = 4096;  // 16 KiB of stack
constexpr int kPadMaxOW = 256;

// The padded row length, or 0 when the plane does not fit the buffer.
inline int padded_width(const PoolParams& p) {
    if (p.OW > kPadMaxOW) return 0;
    const int ow8 = (p.OW + 7) / 8 * 8;  // blocks of 8 up to here (a stride-2 block reads 16 columns)
    int pw = ow8 * p.sw + (p.KW - 1) * p.dw;
    if (pw < p.pl + p.W) pw = p.pl + p.W;
    return (int64_t)pw * p.H <= kPadFloats ? pw : 0;
}

// x's rows into buf (pw floats each: fill, the row, fill); q: p on buf.
SDK_POOL_EDGE_HOT inline void pad_rows(const PoolParams& p, const float* x, int pw, float fill, float* buf,
                                       PoolParams* q) {
    for (int ih = 0; ih < p.H; ++ih) {
        float* d = buf + (int64_t)ih * pw;
        for (int i = 0; i < p.pl; ++i) d[i] = fill;
        memcpy(d + p.pl, x + (int64_t)ih * p.W, (size_t)p.W * sizeof(float));
        for (int i = p.pl + p.W; i < pw; ++i) d[i] = fill;
    }
    *q = p;
    q->pl = 0;
    q->pr = 0;
    q->W = pw;
}

}  // namespace pool_edge
}  // namespace ref
}  // namespace sdk
#endif
