// NEON nearest Resize row for an exact 2x along W (YOLO's Upsample): every input element
// twice, by zipping a vector with itself (1- and 4-byte elements; ARMv7 and AArch64).
#include "kernels/ref/resize.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>

namespace sdk {
namespace ref {

void neon_resize_dup2(const void* x, void* y, int64_t n, int32_t elem_size) {
    int64_t j = 0;
    if (elem_size == 4) {
        const uint32_t* s = static_cast<const uint32_t*>(x);
        uint32_t* d = static_cast<uint32_t*>(y);
        for (; j + 4 <= n; j += 4) {
            const uint32x4_t v = vld1q_u32(s + j);
            const uint32x4x2_t z = vzipq_u32(v, v);
            vst1q_u32(d + 2 * j, z.val[0]);
            vst1q_u32(d + 2 * j + 4, z.val[1]);
        }
        for (; j < n; ++j) d[2 * j] = d[2 * j + 1] = s[j];
        return;
    }
    const uint8_t* s = static_cast<const uint8_t*>(x);
    uint8_t* d = static_cast<uint8_t*>(y);
    for (; j + 16 <= n; j += 16) {
        const uint8x16_t v = vld1q_u8(s + j);
        const uint8x16x2_t z = vzipq_u8(v, v);
        vst1q_u8(d + 2 * j, z.val[0]);
        vst1q_u8(d + 2 * j + 16, z.val[1]);
    }
    for (; j < n; ++j) d[2 * j] = d[2 * j + 1] = s[j];
}

}  // namespace ref
}  // namespace sdk
#endif
