// AVX2 + FMA fp32 Resize row blend: y = sum_t w[t] * rows[t], 16 floats per step, the
// two-row case (bilinear) without a loop over taps; chosen at run time (ref::resize_simd()).
#include "kernels/ref/resize.h"
#include "kernels/unroll.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>

namespace sdk {
namespace ref {

SDK_HOT_TARGET("avx2,fma")
void x86_resize_vblend_avx2(const float* const* rows, const float* w, int32_t n, float* y, int64_t len) {
    int64_t j = 0;
    if (n == 2) {
        const float *a = rows[0], *b = rows[1];
        const __m256 w0 = _mm256_set1_ps(w[0]), w1 = _mm256_set1_ps(w[1]);
        for (; j + 16 <= len; j += 16) {
            _mm256_storeu_ps(y + j, _mm256_fmadd_ps(_mm256_loadu_ps(b + j), w1, _mm256_mul_ps(_mm256_loadu_ps(a + j), w0)));
            _mm256_storeu_ps(y + j + 8, _mm256_fmadd_ps(_mm256_loadu_ps(b + j + 8), w1,
                                                        _mm256_mul_ps(_mm256_loadu_ps(a + j + 8), w0)));
        }
        for (; j + 8 <= len; j += 8)
            _mm256_storeu_ps(y + j, _mm256_fmadd_ps(_mm256_loadu_ps(b + j), w1, _mm256_mul_ps(_mm256_loadu_ps(a + j), w0)));
        for (; j < len; ++j) y[j] = w[0] * a[j] + w[1] * b[j];
        return;
    }
    for (; j + 8 <= len; j += 8) {
        __m256 acc = _mm256_mul_ps(_mm256_loadu_ps(rows[0] + j), _mm256_set1_ps(w[0]));
        for (int32_t t = 1; t < n; ++t) acc = _mm256_fmadd_ps(_mm256_loadu_ps(rows[t] + j), _mm256_set1_ps(w[t]), acc);
        _mm256_storeu_ps(y + j, acc);
    }
    for (; j < len; ++j) {
        float acc = w[0] * rows[0][j];
        for (int32_t t = 1; t < n; ++t) acc += w[t] * rows[t][j];
        y[j] = acc;
    }
}

}  // namespace ref
}  // namespace sdk
#endif
