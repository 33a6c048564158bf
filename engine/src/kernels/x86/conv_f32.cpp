// AVX2 + FMA fp32 depthwise convolution (x86 / x86_64, chosen at run time like the GEMM
// tile in common_f32.cpp; SDK_F32_GEMM=ref turns both off).
//
// Per (image, channel): the needed input rows are copied once into a zero-padded plane in
// the thread's scratch, each row split into `sw` phases (stride 2: even columns, then odd
// columns), so every tap of 8 neighbouring outputs is ONE contiguous unaligned load with
// no border checks, whatever the padding, stride (1 or 2 along W) or dilation. Output
// vectors (row, 8 columns) are processed 4 at a time (4 independent FMA chains), rows of
// 7 or 14 columns included: a short row is a masked store, not a scalar loop.
#include "kernels/ref/conv.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include <string.h>

#include "kernels/sgemm_x86.h"
#include "kernels/unroll.h"

namespace sdk {
namespace ref {
namespace {

constexpr int kMaxTaps = 49;  // 7x7 kernels and smaller

struct DwLayout {
    int64_t L;     // floats per phase of a padded row
    int64_t RS;    // floats per padded row (sw phases)
    int64_t rows;  // padded rows the outputs read
};

DwLayout dw_layout(const ConvGeom& g) {
    DwLayout d;
    const int64_t nv = (g.OW + 7) / 8;
    d.L = nv * 8 + (int64_t)(g.KW - 1) * g.dw / g.sw;
    d.RS = d.L * g.sw;
    d.rows = (int64_t)(g.OH - 1) * g.sh + (int64_t)(g.KH - 1) * g.dh + 1;
    return d;
}

// Copies n floats (masked tail: never reads or writes past n).
__attribute__((target("avx2,fma"), always_inline)) inline void copy_f32(float* d, const float* s, int64_t n) {
    int64_t k = 0;
    for (; k + 8 <= n; k += 8) _mm256_storeu_ps(d + k, _mm256_loadu_ps(s + k));
    if (k < n) {
        const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - k)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        _mm256_maskstore_ps(d + k, m, _mm256_maskload_ps(s + k, m));
    }
}

// The input columns of padded row `dst` (padded column j = m * sw + q, input column
// j - pl, stored at dst[q * L + m]); the padding around them is zeroed once per range
// and never written, so a plane costs one pass over its input.
__attribute__((target("avx2,fma"))) void fill_row(const ConvGeom& g, const float* src, float* dst, int64_t L) {
    if (g.sw == 1) {
        if (g.pl < L) copy_f32(dst + g.pl, src, L - g.pl < g.W ? L - g.pl : (int64_t)g.W);
        return;
    }
    // sw == 2: 16 input columns -> 8 even (phase q = pl % 2) + 8 odd; lanes outside the
    // row or past L are masked (read as 0 and stored over padding, which is 0 anyway)
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int q = 0; q < 2; ++q) {
        float* d = dst + q * L;
        for (int64_t m = 0; m < L; m += 8) {
            const int64_t i = 2 * m + q - g.pl;  // input column of lane 0
            if (i + 16 <= 0) continue;
            if (i >= g.W) break;
            __m256 a, b;
            const bool whole = m + 8 <= L;
            if (i >= 0 && i + 16 <= g.W && whole) {
                a = _mm256_loadu_ps(src + i);
                b = _mm256_loadu_ps(src + i + 8);
            } else {
                // input column i + k valid: 0 <= i + k < W and m + k / 2 < L
                const int lo = (int)(i < 0 ? -i : 0);
                const int64_t hi64 = g.W - i < 2 * (L - m) ? g.W - i : 2 * (L - m);
                const int hi = (int)(hi64 < 16 ? hi64 : 16);
                const __m256i vlo = _mm256_set1_epi32(lo - 1), vhi = _mm256_set1_epi32(hi);
                const __m256i k0 = lane, k1 = _mm256_add_epi32(lane, _mm256_set1_epi32(8));
                const __m256i m0 = _mm256_and_si256(_mm256_cmpgt_epi32(k0, vlo), _mm256_cmpgt_epi32(vhi, k0));
                const __m256i m1 = _mm256_and_si256(_mm256_cmpgt_epi32(k1, vlo), _mm256_cmpgt_epi32(vhi, k1));
                a = _mm256_maskload_ps(src + i, m0);
                b = _mm256_maskload_ps(src + i + 8, m1);
            }
            // [a0 a2 b0 b2 | a4 a6 b4 b6] -> [a0 a2 a4 a6 b0 b2 b4 b6]
            const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
            const __m256 v = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8));
            if (whole) {
                _mm256_storeu_ps(d + m, v);
            } else {
                const __m256i sm = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(L - m)), lane);
                _mm256_maskstore_ps(d + m, sm, v);
            }
        }
    }
}

__attribute__((target("avx2,fma"), always_inline)) inline __m256 act8(__m256 v, int kind, __m256 lo, __m256 hi) {
    // act_f32's comparisons exactly (NaN: Relu -> 0, Clip keeps it)
    if (kind == kActRelu) return _mm256_max_ps(v, _mm256_setzero_ps());
    if (kind == kActClip) return _mm256_blendv_ps(_mm256_min_ps(hi, v), lo, _mm256_cmp_ps(v, lo, _CMP_LT_OQ));
    return v;
}

// NT taps known at compile time (9 = 3x3: weights stay in registers), 0 = any count.
template <int NT>
__attribute__((target("avx2,fma"))) void dw_plane(const ConvGeom& g, const float* P, const DwLayout& d,
                                                  const int64_t* off, const float* wt, int ntaps, float bias,
                                                  float* out) {
    const int nv = (g.OW + 7) / 8;
    const int64_t units = (int64_t)g.OH * nv;
    const int kind = g.act.kind;
    const __m256 lo = _mm256_set1_ps(g.act.lo), hi = _mm256_set1_ps(g.act.hi), vb = _mm256_set1_ps(bias);
    const int tail = g.OW - (nv - 1) * 8;  // lanes of a row's last vector
    alignas(32) int32_t mbits[8];
    for (int i = 0; i < 8; ++i) mbits[i] = i < tail ? -1 : 0;
    const __m256i mask = _mm256_load_si256(reinterpret_cast<const __m256i*>(mbits));
    __m256 wv[NT > 0 ? NT : 1];
    if (NT > 0) {
        SDK_UNROLL for (int t = 0; t < (NT > 0 ? NT : 1); ++t) wv[t] = _mm256_broadcast_ss(wt + t);
    }
    constexpr int U = 4;
    int64_t u = 0;
    int oh = 0, c = 0;  // (row, vector) of unit u
    auto advance = [&](int& r, int& cc) {
        if (++cc == nv) {
            cc = 0;
            ++r;
        }
    };
    for (; u < units; u += U) {
        const int n = units - u < U ? (int)(units - u) : U;
        const float* in[U];
        float* o[U];
        bool full[U];
        int r = oh, cc = c;
        for (int i = 0; i < U; ++i) {
            const int ri = i < n ? r : oh, ci = i < n ? cc : c;  // spare lanes redo unit u
            in[i] = P + (int64_t)ri * g.sh * d.RS + (int64_t)ci * 8;
            o[i] = out + (int64_t)ri * g.OW + (int64_t)ci * 8;
            full[i] = ci + 1 < nv || tail == 8;
            if (i < n) advance(r, cc);
        }
        oh = r;
        c = cc;
        __m256 acc[U];
        SDK_UNROLL for (int i = 0; i < U; ++i) acc[i] = vb;
        if (NT > 0) {
            SDK_UNROLL for (int t = 0; t < (NT > 0 ? NT : 1); ++t) {
                const int64_t ot = off[t];
                SDK_UNROLL for (int i = 0; i < U; ++i) acc[i] = _mm256_fmadd_ps(_mm256_loadu_ps(in[i] + ot), wv[t], acc[i]);
            }
        } else {
            for (int t = 0; t < ntaps; ++t) {
                const int64_t ot = off[t];
                const __m256 w = _mm256_broadcast_ss(wt + t);
                SDK_UNROLL for (int i = 0; i < U; ++i) acc[i] = _mm256_fmadd_ps(_mm256_loadu_ps(in[i] + ot), w, acc[i]);
            }
        }
        SDK_UNROLL for (int i = 0; i < U; ++i) {
            if (i >= n) break;
            const __m256 v = act8(acc[i], kind, lo, hi);
            if (full[i])
                _mm256_storeu_ps(o[i], v);
            else
                _mm256_maskstore_ps(o[i], mask, v);
        }
    }
}

}  // namespace

int64_t x86_dw_scratch_floats(const ConvGeom& g) {
    if (g.C != g.group || (g.sw != 1 && g.sw != 2) || g.KH * g.KW > kMaxTaps) return 0;
    const DwLayout d = dw_layout(g);
    return d.rows * d.RS;
}

void x86_dw_range_avx2(const ConvGeom& g, const float* x, const float* w, const float* b, float* y, int64_t begin,
                       int64_t end, float* scratch) {
    const DwLayout d = dw_layout(g);
    memset(scratch, 0, (size_t)(d.rows * d.RS) * sizeof(float));  // the padding, once
    int64_t off[kMaxTaps];
    const int ntaps = g.KH * g.KW;
    for (int kh = 0; kh < g.KH; ++kh)
        for (int kw = 0; kw < g.KW; ++kw) {
            const int64_t j = (int64_t)kw * g.dw;  // padded column of tap kw for output 0
            off[kh * g.KW + kw] = (int64_t)kh * g.dh * d.RS + (j % g.sw) * d.L + j / g.sw;
        }
    // padded rows holding input rows: [r0, r1)
    const int64_t r0 = g.pt, r1 = d.rows < (int64_t)g.pt + g.H ? d.rows : (int64_t)g.pt + g.H;
    const int mult = g.OC / g.C;
    const int64_t plane = (int64_t)g.OH * g.OW;
    for (int64_t t = begin; t < end; ++t) {
        const int n = (int)(t / g.OC), oc = (int)(t % g.OC), c = oc / mult;
        const float* xin = x + ((int64_t)n * g.C + c) * g.H * g.W;
        for (int64_t r = r0; r < r1; ++r) fill_row(g, xin + (r - g.pt) * g.W, scratch + r * d.RS, d.L);
        const float* wk = w + (int64_t)oc * ntaps;
        float* out = y + ((int64_t)n * g.OC + oc) * plane;
        const float bias = b ? b[oc] : 0.0f;
        if (ntaps == 9)
            dw_plane<9>(g, scratch, d, off, wk, ntaps, bias, out);
        else
            dw_plane<0>(g, scratch, d, off, wk, ntaps, bias, out);
        if (g.act.kind != kActNone && g.act.kind != kActRelu && g.act.kind != kActClip)
            act_span_f32(out, plane, g.act);
    }
}

}  // namespace ref
}  // namespace sdk
#endif
