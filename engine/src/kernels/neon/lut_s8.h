// y[e] = table[x[e] + 128] (an int8 value's entry in a 256-byte table), 16 lookups per step:
// AArch64's TBL/TBX over the table held in 16 registers (4 x 64 bytes); ARMv7 (16 registers
// of 16 bytes: the table does not fit beside the data) 32 lookups per step, VTBX over the
// table's 8 chunks of 32 bytes in turn (an index past a chunk leaves its byte alone). Does the
// whole steps of [0, n) and returns how many that is; the caller finishes the tail.
// Header-only: the int8 unary ops (ops/unary_op.h) and the requantizing Concat
// (kernels/ref/concat_s8.cpp) each inline it.
#pragma once

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>
#include <stdint.h>

namespace sdk {
namespace s8 {

#if defined(__aarch64__)
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
#else
inline int64_t lut256_neon(const int8_t* table, const int8_t* x, int8_t* y, int64_t n) {
    const uint8_t* t = reinterpret_cast<const uint8_t*>(table);
    const uint8x8_t flip = vdup_n_u8(0x80), k32 = vdup_n_u8(32);
    int64_t e = 0;
    for (; e + 32 <= n; e += 32) {
        const uint8_t* xe = reinterpret_cast<const uint8_t*>(x + e);
        uint8x8_t i0 = veor_u8(vld1_u8(xe), flip), i1 = veor_u8(vld1_u8(xe + 8), flip),
                  i2 = veor_u8(vld1_u8(xe + 16), flip), i3 = veor_u8(vld1_u8(xe + 24), flip);
        uint8x8_t r0 = vdup_n_u8(0), r1 = r0, r2 = r0, r3 = r0;
        for (int c = 0; c < 256; c += 32) {  // (a loop: code size)
            uint8x8x4_t tc;
            tc.val[0] = vld1_u8(t + c);
            tc.val[1] = vld1_u8(t + c + 8);
            tc.val[2] = vld1_u8(t + c + 16);
            tc.val[3] = vld1_u8(t + c + 24);
            r0 = vtbx4_u8(r0, tc, i0);
            r1 = vtbx4_u8(r1, tc, i1);
            r2 = vtbx4_u8(r2, tc, i2);
            r3 = vtbx4_u8(r3, tc, i3);
            i0 = vsub_u8(i0, k32);
            i1 = vsub_u8(i1, k32);
            i2 = vsub_u8(i2, k32);
            i3 = vsub_u8(i3, k32);
        }
        uint8_t* ye = reinterpret_cast<uint8_t*>(y + e);
        vst1_u8(ye, r0);
        vst1_u8(ye + 8, r1);
        vst1_u8(ye + 16, r2);
        vst1_u8(ye + 24, r3);
    }
    return e;
}
#endif

}  // namespace s8
}  // namespace sdk
#endif
