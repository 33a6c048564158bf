// AVX2 int8 AveragePool plane (kernels/x86/pool_s8.h), bit-exact with the ref plane of
// kernels/ref/averagepool_s8.cpp: int16 window sums (at most 255 taps of |x| <= 128), the
// tap count of each output as (row count) * (column count), sum + round-half-away offset
// divided in float (both below 2^15: the quotient is correctly rounded and never crosses an
// integer, so truncating it is C's integer division), clamped.
#include "kernels/x86/pool_s8.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include "kernels/unroll.h"  // SDK_HOT_TARGET
#include <string.h>

#include "kernels/pool_s8.h"

namespace sdk {
namespace s8 {
namespace {

// Taps of a window starting at padded index o (0-based in the padded extent) of k taps:
// inside [lo, hi) (valid: the input; include_pad: the declared padded extent).
inline int32_t count_in(int32_t o, int32_t k, int32_t lo, int32_t hi) {
    int32_t a = o > lo ? o : lo, b = o + k < hi ? o + k : hi;
    return b > a ? b - a : 0;
}

}  // namespace

SDK_HOT_TARGET("avx2") void averagepool_plane_s8_avx2(const PoolGeom& g, int32_t zp, const int8_t* x,
                                                               int8_t* y, void* scratch) {
    const PoolPad p = pool_s8_x86_pad(g);
    int8_t* P = static_cast<int8_t*>(scratch);
    int16_t* v = reinterpret_cast<int16_t*>(P + (int64_t)p.PH * p.PW);  // vertical sums of one output row
    int16_t* h = v + p.PW;                                               // window sums at every column
    int16_t* t = h + p.PW;                                               // the output columns' sums
    int32_t* cc = reinterpret_cast<int32_t*>(((uintptr_t)(t + g.OW + 32) + 15) & ~(uintptr_t)15);  // column counts
    // padded plane: 0 outside the input, or the zero point inside the declared pads
    const int32_t eh = g.H + g.pt + g.pb, ew = g.W + g.pl + g.pr;  // declared padded extent
    const bool inc = g.include_pad != 0;
    memset(P, 0, (size_t)p.PH * p.PW);
    if (inc && zp != 0)
        for (int32_t r = 0; r < eh && r < p.PH; ++r) memset(P + (int64_t)r * p.PW, zp, (size_t)(ew < p.PW ? ew : p.PW));
    for (int32_t ih = 0; ih < g.H; ++ih) memcpy(P + (int64_t)(ih + g.pt) * p.PW + g.pl, x + (int64_t)ih * g.W, (size_t)g.W);
    for (int32_t ow = 0; ow < g.OW; ++ow)
        cc[ow] = inc ? count_in(ow * g.sw, g.KW, 0, ew) : count_in(ow * g.sw, g.KW, g.pl, g.pl + g.W);
    for (int32_t ow = g.OW; ow < g.OW + 8; ++ow) cc[ow] = 1;  // (vector tails)
    const int32_t vcols = (p.cols + g.KW - 1 + 15) / 16 * 16;
    const __m256 zpf = _mm256_set1_ps((float)zp);
    for (int32_t oh = 0; oh < g.OH; ++oh) {
        const int8_t* r0 = P + (int64_t)oh * g.sh * p.PW;
        for (int32_t c = 0; c < vcols; c += 16) {
            __m256i s = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r0 + c)));
            for (int32_t kh = 1; kh < g.KH; ++kh)
                s = _mm256_add_epi16(s, _mm256_cvtepi8_epi16(_mm_loadu_si128(
                                            reinterpret_cast<const __m128i*>(r0 + (int64_t)kh * p.PW + c))));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(v + c), s);
        }
        for (int32_t c = 0; c < p.cols; c += 16) {
            __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + c));
            for (int32_t kw = 1; kw < g.KW; ++kw)
                s = _mm256_add_epi16(s, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + c + kw)));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(h + c), s);
        }
        const int16_t* src = h;
        if (g.sw != 1) {
            for (int32_t ow = 0; ow < g.OW; ++ow) t[ow] = h[(int64_t)ow * g.sw];
            src = t;
        }
        const int32_t rc = inc ? count_in(oh * g.sh, g.KH, 0, eh) : count_in(oh * g.sh, g.KH, g.pt, g.pt + g.H);
        const __m256i vrc = _mm256_set1_epi32(rc);
        int8_t* yr = y + (int64_t)oh * g.OW;
        for (int32_t ow = 0; ow < g.OW; ow += 8) {
            const __m256i s = _mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + ow)));
            const __m256i cnt = _mm256_mullo_epi32(vrc, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(cc + ow)));
            const __m256i half = _mm256_srli_epi32(cnt, 1), sgn = _mm256_srai_epi32(s, 31);
            const __m256i n = _mm256_add_epi32(s, _mm256_sub_epi32(_mm256_xor_si256(half, sgn), sgn));
            __m256 q = _mm256_div_ps(_mm256_cvtepi32_ps(n), _mm256_cvtepi32_ps(cnt));
            q = _mm256_round_ps(q, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
            // no taps: the zero point
            q = _mm256_blendv_ps(q, zpf, _mm256_castsi256_ps(_mm256_cmpeq_epi32(cnt, _mm256_setzero_si256())));
            q = _mm256_min_ps(_mm256_max_ps(q, _mm256_set1_ps(-128.0f)), _mm256_set1_ps(127.0f));
            const __m256i r = _mm256_cvtps_epi32(q);
            const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
            const __m128i b = _mm_packs_epi16(w, w);
            if (ow + 8 <= g.OW) {
                _mm_storel_epi64(reinterpret_cast<__m128i*>(yr + ow), b);
            } else {
                alignas(16) int8_t tmp[16];
                _mm_store_si128(reinterpret_cast<__m128i*>(tmp), b);
                memcpy(yr + ow, tmp, (size_t)(g.OW - ow));
            }
        }
    }
}

}  // namespace s8
}  // namespace sdk
#endif
