// NEON fp32 Resize row blend (ARMv7 and AArch64): y = sum_t w[t] * rows[t], 8 floats per
// step, the two-row case (bilinear) without a loop over taps.
#include "kernels/ref/resize.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>

namespace sdk {
namespace ref {

void neon_resize_vblend_f32(const float* const* rows, const float* w, int32_t n, float* y, int64_t len) {
    int64_t j = 0;
    if (n == 2) {
        const float *a = rows[0], *b = rows[1];
        const float32x4_t w0 = vdupq_n_f32(w[0]), w1 = vdupq_n_f32(w[1]);
        for (; j + 8 <= len; j += 8) {
            vst1q_f32(y + j, vmlaq_f32(vmulq_f32(vld1q_f32(a + j), w0), vld1q_f32(b + j), w1));
            vst1q_f32(y + j + 4, vmlaq_f32(vmulq_f32(vld1q_f32(a + j + 4), w0), vld1q_f32(b + j + 4), w1));
        }
        for (; j + 4 <= len; j += 4) vst1q_f32(y + j, vmlaq_f32(vmulq_f32(vld1q_f32(a + j), w0), vld1q_f32(b + j), w1));
        for (; j < len; ++j) y[j] = w[0] * a[j] + w[1] * b[j];
        return;
    }
    for (; j + 4 <= len; j += 4) {
        float32x4_t acc = vmulq_f32(vld1q_f32(rows[0] + j), vdupq_n_f32(w[0]));
        for (int32_t t = 1; t < n; ++t) acc = vmlaq_f32(acc, vld1q_f32(rows[t] + j), vdupq_n_f32(w[t]));
        vst1q_f32(y + j, acc);
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
