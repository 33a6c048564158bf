// y[e] = table[x[e] + 128] (an int8 value's entry in a 256-byte table), 16 lookups per step:
// AArch64's TBL/TBX over the table held in 16 registers (4 x 64 bytes). Does the whole
// 16-element steps of [0, n) and returns how many that is; the caller finishes the tail.
// Header-only: the int8 unary ops (ops/unary_op.h) and the requantizing Concat
// (kernels/ref/concat_s8.cpp) each inline it.
#pragma once

#if SDK_FEATURE_NEON && defined(__aarch64__)
#include <arm_neon.h>
#include <stdint.h>

namespace sdk {
namespace s8 {

inline int64_t lut256_neon(const int8_t* table, const int8_t* x, int8_t* y, int64_t n) {
    const uint8_t* t = reinterpret_cast<const uint8_t*>(table);
    const uint8x16x4_t t0 = vld1q_u8_x4(t), t1 = vld1q_u8_x4(t + 64), t2 = vld1q_u8_x4(t + 128),
                       t3 = vld1q_u8_x4(t + 192);
    const uint8x16_t flip = vdupq_n_u8(0x80), k64 = vdupq_n_u8(64);
    int64_t e = 0;
    for (; e + 16 <= n; e += 16) {
        uint8x16_t idx = veorq_u8(vld1q_u8(reinterpret_cast<const uint8_t*>(x + e)), flip);
        uint8x16_t r = vqtbl4q_u8(t0, idx);  // indices >= 64 give 0, then TBX fills them
        idx = vsubq_u8(idx, k64);
        r = vqtbx4q_u8(r, t1, idx);
        idx = vsubq_u8(idx, k64);
        r = vqtbx4q_u8(r, t2, idx);
        idx = vsubq_u8(idx, k64);
        r = vqtbx4q_u8(r, t3, idx);
        vst1q_s8(y + e, vreinterpretq_s8_u8(r));
    }
    return e;
}

}  // namespace s8
}  // namespace sdk
#endif
