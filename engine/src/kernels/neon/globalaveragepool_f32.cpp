// NEON fp32 sum of a GlobalAveragePool plane (ARMv7 and AArch64), see kernels/neon/sum_neon.h.
#include "kernels/neon/sum_neon.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>

namespace sdk {
namespace ref {

float neon_sum_f32(const float* x, int64_t n) {
    float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;  // 4 independent add chains
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = vaddq_f32(a0, vld1q_f32(x + i));
        a1 = vaddq_f32(a1, vld1q_f32(x + i + 4));
        a2 = vaddq_f32(a2, vld1q_f32(x + i + 8));
        a3 = vaddq_f32(a3, vld1q_f32(x + i + 12));
    }
    for (; i + 4 <= n; i += 4) a0 = vaddq_f32(a0, vld1q_f32(x + i));
    const float32x4_t a = vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3));
    const float32x2_t h = vadd_f32(vget_low_f32(a), vget_high_f32(a));
    float s = vget_lane_f32(vpadd_f32(h, h), 0);
    for (; i < n; ++i) s += x[i];
    return s;
}

}  // namespace ref
}  // namespace sdk
#endif
