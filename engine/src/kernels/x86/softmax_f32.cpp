// AVX2 + FMA Softmax / LogSoftmax rows (kernels/ref/softmax.h): vector max, a polynomial
// exp over 8 lanes (kernels/x86/exp_flush_avx2.h), vector sum and scale.
// Chosen at run time when the fp32 AVX2 tier is on (x86_sgemm_avx2_enabled()).
#include "kernels/ref/softmax.h"
#include "kernels/unroll.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include <math.h>

#include "kernels/x86/exp_flush_avx2.h"

namespace sdk {
namespace ref {
namespace {

#define SDK_SOFTMAX_HOT SDK_HOT_TARGET("avx2,fma")

using x86::exp8_flush;

SDK_SOFTMAX_HOT inline float hmax(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

SDK_SOFTMAX_HOT inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

}  // namespace

SDK_SOFTMAX_HOT void x86_softmax_row_avx2(const float* x, float* y, int64_t n, bool log) {
    int64_t k = 0;
    __m256 vm = _mm256_set1_ps(-INFINITY);
    for (; k + 8 <= n; k += 8) vm = _mm256_max_ps(vm, _mm256_loadu_ps(x + k));
    float m = hmax(vm);
    for (; k < n; ++k) m = x[k] > m ? x[k] : m;
    const __m256 bm = _mm256_set1_ps(m);
    __m256 vs = _mm256_setzero_ps();
    for (k = 0; k + 8 <= n; k += 8) {
        const __m256 e = exp8_flush(_mm256_sub_ps(_mm256_loadu_ps(x + k), bm));
        if (!log) _mm256_storeu_ps(y + k, e);
        vs = _mm256_add_ps(vs, e);
    }
    float sum = hsum(vs);
    for (; k < n; ++k) {
        const float e = expf(x[k] - m);
        if (!log) y[k] = e;
        sum += e;
    }
    if (log) {
        const float c = m + logf(sum);
        const __m256 bc = _mm256_set1_ps(c);
        for (k = 0; k + 8 <= n; k += 8) _mm256_storeu_ps(y + k, _mm256_sub_ps(_mm256_loadu_ps(x + k), bc));
        for (; k < n; ++k) y[k] = x[k] - c;
    } else {
        const float inv = 1.0f / sum;
        const __m256 bi = _mm256_set1_ps(inv);
        for (k = 0; k + 8 <= n; k += 8) _mm256_storeu_ps(y + k, _mm256_mul_ps(_mm256_loadu_ps(y + k), bi));
        for (; k < n; ++k) y[k] *= inv;
    }
}

SDK_SOFTMAX_HOT void x86_softmax_lanes_avx2(const float* x, float* y, int64_t n, int64_t inner, int64_t w,
                                            bool log) {
    int64_t i = 0;
    for (; i + 8 <= w; i += 8) {  // 8 lanes at a time: max, then exp and sum, then the outputs
        __m256 m = _mm256_set1_ps(-INFINITY), s = _mm256_setzero_ps();
        for (int64_t k = 0; k < n; ++k) m = _mm256_max_ps(m, _mm256_loadu_ps(x + k * inner + i));
        for (int64_t k = 0; k < n; ++k) {
            const __m256 e = exp8_flush(_mm256_sub_ps(_mm256_loadu_ps(x + k * inner + i), m));
            if (!log) _mm256_storeu_ps(y + k * inner + i, e);
            s = _mm256_add_ps(s, e);
        }
        float sv[8], mv[8];
        _mm256_storeu_ps(sv, s);
        _mm256_storeu_ps(mv, m);
        for (int l = 0; l < 8; ++l) sv[l] = log ? mv[l] + logf(sv[l]) : 1.0f / sv[l];
        const __m256 c = _mm256_loadu_ps(sv);
        for (int64_t k = 0; k < n; ++k) {
            float* yk = y + k * inner + i;
            if (log) _mm256_storeu_ps(yk, _mm256_sub_ps(_mm256_loadu_ps(x + k * inner + i), c));
            else _mm256_storeu_ps(yk, _mm256_mul_ps(_mm256_loadu_ps(yk), c));
        }
    }
    if (i < w) softmax_lanes_f32(x + i, y + i, n, inner, w - i, log);
}

}  // namespace ref
}  // namespace sdk
#endif
