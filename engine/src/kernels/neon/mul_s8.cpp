// NEON int8 Mul row (ARMv7 and AArch64): 8 products per step, (a - za) and (b - zb) in
// int16, their product in int32 (SMULL), requantized exactly as s8::mbqm (SMULL by the
// multiplier + rounding shift, kernels/neon_s8.h); tails and broadcast operands alike.
#include "kernels/ref/mul_s8.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>

#include "kernels/neon_s8.h"

namespace sdk {
namespace s8 {

void mul_row_neon(const void* const* in, const uint8_t* unit, void* out, int64_t n, const void* params) {
    const MulS8Params& p = *static_cast<const MulS8Params*>(params);
    const int8_t* a = static_cast<const int8_t*>(in[0]);
    const int8_t* b = static_cast<const int8_t*>(in[1]);
    int8_t* y = static_cast<int8_t*>(out);
    const int16x8_t za = vdupq_n_s16(static_cast<int16_t>(p.a_zp)), zb = vdupq_n_s16(static_cast<int16_t>(p.b_zp));
    int16x8_t av = vsubq_s16(vmovl_s8(vdup_n_s8(a[0])), za), bv = vsubq_s16(vmovl_s8(vdup_n_s8(b[0])), zb);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        if (unit[0]) av = vsubq_s16(vmovl_s8(vld1_s8(a + i)), za);
        if (unit[1]) bv = vsubq_s16(vmovl_s8(vld1_s8(b + i)), zb);
        const int32x4_t lo = vmull_s16(vget_low_s16(av), vget_low_s16(bv));
        const int32x4_t hi = vmull_s16(vget_high_s16(av), vget_high_s16(bv));
        neon_store8_requant(y + i, 8, lo, hi, p.m.mult, p.m.shift, p.out_zp, -128, 127);
    }
    for (; i < n; ++i) {
        const int32_t x = (static_cast<int32_t>(a[unit[0] ? i : 0]) - p.a_zp) *
                          (static_cast<int32_t>(b[unit[1] ? i : 0]) - p.b_zp);
        y[i] = clamp_s8(mbqm(x, p.m.mult, p.m.shift) + p.out_zp, -128, 127);
    }
}

}  // namespace s8
}  // namespace sdk
#endif
