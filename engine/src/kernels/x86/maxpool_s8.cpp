// AVX2 int8 MaxPool plane and the padded-plane geometry shared with AveragePool
// (kernels/x86/pool_s8.h).
#include "kernels/x86/pool_s8.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include "kernels/unroll.h"  // SDK_HOT_TARGET
#include <string.h>

#include "kernels/pool_s8.h"

namespace sdk {
namespace s8 {

PoolPad pool_s8_x86_pad(const PoolGeom& g) {
    PoolPad p;
    p.cols = (g.OW - 1) * g.sw + 1;
    int32_t ph = (g.OH - 1) * g.sh + g.KH, pw = p.cols + g.KW - 1;
    if (ph < g.pt + g.H) ph = g.pt + g.H;
    if (pw < g.pl + g.W) pw = g.pl + g.W;
    p.PH = ph;
    p.PW = (pw + 31) / 32 * 32 + 32;  // the horizontal step reads 32 columns past `cols`
    return p;
}

bool pool_s8_x86_fits(const PoolGeom& g, bool avg) {
    if (g.dh != 1 || g.dw != 1 || g.OH < 1 || g.OW < 1) return false;
    if (avg && g.KH * g.KW > 255) return false;  // int16 window sums
    const PoolPad p = pool_s8_x86_pad(g);
    return (int64_t)p.PH * p.PW <= (int64_t)1 << 22;  // (4 MB of scratch at most)
}

size_t pool_s8_x86_scratch(const PoolGeom& g) {
    const PoolPad p = pool_s8_x86_pad(g);
    // padded plane, two int16 rows of PW, the picked outputs (int16) and column counts (int32)
    return (size_t)p.PH * p.PW + (size_t)4 * p.PW + (size_t)(g.OW + 32) * 6 + 128;
}

SDK_HOT_TARGET("avx2") void maxpool_plane_s8_avx2(const PoolGeom& g, const int8_t* x, int8_t* y,
                                                           void* scratch) {
    const PoolPad p = pool_s8_x86_pad(g);
    int8_t* P = static_cast<int8_t*>(scratch);
    int8_t* v = P + (int64_t)p.PH * p.PW;  // vertical maxima of one output row
    int8_t* h = v + p.PW;                  // window maxima at every column
    memset(P, -128, (size_t)p.PH * p.PW);  // padding taps never win
    for (int32_t ih = 0; ih < g.H; ++ih) memcpy(P + (int64_t)(ih + g.pt) * p.PW + g.pl, x + (int64_t)ih * g.W, (size_t)g.W);
    const int32_t vcols = (p.cols + g.KW - 1 + 31) / 32 * 32;  // <= PW
    for (int32_t oh = 0; oh < g.OH; ++oh) {
        const int8_t* r0 = P + (int64_t)oh * g.sh * p.PW;
        for (int32_t c = 0; c < vcols; c += 32) {
            __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r0 + c));
            for (int32_t kh = 1; kh < g.KH; ++kh)
                m = _mm256_max_epi8(m, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r0 + (int64_t)kh * p.PW + c)));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(v + c), m);
        }
        int8_t* yr = y + (int64_t)oh * g.OW;
        for (int32_t c = 0; c < p.cols; c += 32) {
            __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + c));
            for (int32_t kw = 1; kw < g.KW; ++kw)
                m = _mm256_max_epi8(m, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + c + kw)));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(h + c), m);
        }
        if (g.sw == 1) {
            memcpy(yr, h, (size_t)g.OW);
        } else {
            for (int32_t ow = 0; ow < g.OW; ++ow) yr[ow] = h[(int64_t)ow * g.sw];
        }
    }
}

}  // namespace s8
}  // namespace sdk
#endif
