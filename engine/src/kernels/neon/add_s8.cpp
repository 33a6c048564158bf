// NEON int8 Add, see kernels/neon/add_s8.h.
#include "kernels/neon/add_s8.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>

#include "kernels/neon_s8.h"

namespace sdk {
namespace s8 {
namespace {

// s8::mbqm on 4 lanes (no zero point, no clamp).
__attribute__((always_inline)) inline int32x4_t mbqm4(int32x4_t x, int32_t mult, int64x2_t sh) {
    const int64x2_t l = vrshlq_s64(vmull_n_s32(vget_low_s32(x), mult), sh);
    const int64x2_t h = vrshlq_s64(vmull_n_s32(vget_high_s32(x), mult), sh);
    return vcombine_s32(vqmovn_s64(l), vqmovn_s64(h));
}

}  // namespace

int64_t add_s8_neon(const AddNeon& p, const int8_t* a, const int8_t* b, int8_t* y, int64_t n) {
    const int64x2_t sa = vdupq_n_s64(-(int64_t)(31 - p.ma_shift)), sb = vdupq_n_s64(-(int64_t)(31 - p.mb_shift));
    const int16x8_t oa = vdupq_n_s16((int16_t)p.a_zp), ob = vdupq_n_s16((int16_t)p.b_zp);
    const int32x4_t ls = vdupq_n_s32(p.left_shift);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        // (q - zp) in int16 (|.| <= 255), widened and shifted: |.| <= 255 * 2^20
        const int16x8_t da = vsubq_s16(vmovl_s8(vld1_s8(a + i)), oa), db = vsubq_s16(vmovl_s8(vld1_s8(b + i)), ob);
        const int32x4_t s0 = vaddq_s32(mbqm4(vshlq_s32(vmovl_s16(vget_low_s16(da)), ls), p.ma_mult, sa),
                                       mbqm4(vshlq_s32(vmovl_s16(vget_low_s16(db)), ls), p.mb_mult, sb));
        const int32x4_t s1 = vaddq_s32(mbqm4(vshlq_s32(vmovl_s16(vget_high_s16(da)), ls), p.ma_mult, sa),
                                       mbqm4(vshlq_s32(vmovl_s16(vget_high_s16(db)), ls), p.mb_mult, sb));
        const int32x4_t q0 = neon_requant4(s0, p.mo_mult, p.mo_shift, p.out_zp, p.act_min, p.act_max);
        const int32x4_t q1 = neon_requant4(s1, p.mo_mult, p.mo_shift, p.out_zp, p.act_min, p.act_max);
        vst1_s8(y + i, vmovn_s16(vcombine_s16(vmovn_s32(q0), vmovn_s32(q1))));  // already in [lo, hi]
    }
    return i;
}

}  // namespace s8
}  // namespace sdk
#endif
