// NEON int8 sum of a GlobalAveragePool plane (ARMv7 and AArch64), see kernels/neon/sum_neon.h.
#include "kernels/neon/sum_neon.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>

namespace sdk {
namespace s8 {

int32_t neon_sum_s8(const int8_t* x, int32_t n) {
    int32x4_t a0 = vdupq_n_s32(0), a1 = a0;
    int32_t i = 0;
    for (; i + 32 <= n; i += 32) {  // pairs into int16 (|.| <= 256), pairs of those into int32
        a0 = vpadalq_s16(a0, vpaddlq_s8(vld1q_s8(x + i)));
        a1 = vpadalq_s16(a1, vpaddlq_s8(vld1q_s8(x + i + 16)));
    }
    for (; i + 16 <= n; i += 16) a0 = vpadalq_s16(a0, vpaddlq_s8(vld1q_s8(x + i)));
    const int32x4_t a = vaddq_s32(a0, a1);
    const int32x2_t h = vadd_s32(vget_low_s32(a), vget_high_s32(a));
    int32_t s = vget_lane_s32(vpadd_s32(h, h), 0);
    for (; i < n; ++i) s += x[i];
    return s;
}

}  // namespace s8
}  // namespace sdk
#endif
