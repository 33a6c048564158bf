// NEON int8 Add, see kernels/neon/add_s8.h.
#include "kernels/neon/add_s8.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>

#include "kernels/neon_s8.h"

namespace sdk {
namespace s8 {

// Each input's move s8::mbqm((q - zp) << 20, mult, shift) on 32-bit lanes as neon_requant4
// does it (kernels/neon_s8.h: SQSHL by L = max(shift + 1, 0), SQDMULH, SRSHL by shift - L,
// bit-exact while SQSHL does not saturate): here shift <= 1 (add_s8_prepare: the multipliers
// are <= 1/2), so L <= 2 and |(q - zp) << (20 + L)| <= 255 * 2^22 < 2^31: one plain shift.
// The output's zero point and clamp on int16 lanes after SQXTN (exact for int8 bounds, as in
// kernels/neon/conv_s8_wino.cpp's output transform).
int64_t add_s8_neon(const AddNeon& p, const int8_t* a, const int8_t* b, int8_t* y, int64_t n) {
    const NeonShift ta = neon_shift(p.ma_shift), tb = neon_shift(p.mb_shift);
    const int32x4_t la = vdupq_n_s32(p.left_shift + ta.l), lb = vdupq_n_s32(p.left_shift + tb.l);
    const int32x4_t ra = vdupq_n_s32(ta.r), rb = vdupq_n_s32(tb.r);
    const int8x8_t za = vdup_n_s8((int8_t)p.a_zp), zb = vdup_n_s8((int8_t)p.b_zp);
    const int16x8_t z = vdupq_n_s16((int16_t)p.out_zp), lo = vdupq_n_s16((int16_t)p.act_min),
                    hi = vdupq_n_s16((int16_t)p.act_max);
    const NeonShift to = neon_shift(p.mo_shift);
    const int32x4_t lo_ = vdupq_n_s32(to.l), ro = vdupq_n_s32(to.r);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const int16x8_t da = vsubl_s8(vld1_s8(a + i), za), db = vsubl_s8(vld1_s8(b + i), zb);  // |.| <= 255
#define SDK_ADD_MOVE(d, half, l, r, m) \
    vrshlq_s32(vqdmulhq_n_s32(vshlq_s32(vmovl_s16(vget_##half##_s16(d)), l), m), r)
        const int32x4_t s0 = vaddq_s32(SDK_ADD_MOVE(da, low, la, ra, p.ma_mult), SDK_ADD_MOVE(db, low, lb, rb, p.mb_mult));
        const int32x4_t s1 =
            vaddq_s32(SDK_ADD_MOVE(da, high, la, ra, p.ma_mult), SDK_ADD_MOVE(db, high, lb, rb, p.mb_mult));
#undef SDK_ADD_MOVE
        // s8::mbqm(s, mo) as neon_requant4, then zero point and clamp on int16 lanes
        const int32x4_t q0 = vrshlq_s32(vqdmulhq_n_s32(vqshlq_s32(s0, lo_), p.mo_mult), ro);
        const int32x4_t q1 = vrshlq_s32(vqdmulhq_n_s32(vqshlq_s32(s1, lo_), p.mo_mult), ro);
        const int16x8_t v = vqaddq_s16(vcombine_s16(vqmovn_s32(q0), vqmovn_s32(q1)), z);
        vst1_s8(y + i, vmovn_s16(vminq_s16(vmaxq_s16(v, lo), hi)));
    }
    return i;
}

}  // namespace s8
}  // namespace sdk
#endif
