// The vector interface of kernels/vec_math.h for NEON, ARMv7 and AArch64: 4 float lanes.
// ARMv7 (armeabi-v7a: NEON without FMA, division or rounding instructions) gets
// multiply-add as two roundings, division as a reciprocal estimate refined by two
// Newton-Raphson steps, floor from truncation.
#pragma once

#include <arm_neon.h>

#include "kernels/neon/cmp_neon.h"
#include <stdint.h>

namespace sdk {

struct VNeon {
    using F = float32x4_t;
    using M = uint32x4_t;
    using I = int32x4_t;
    static constexpr int kLanes = 4;
    static inline F set(float v) { return vdupq_n_f32(v); }
    static inline F load(const float* p) { return vld1q_f32(p); }
    static inline void store(float* p, F v) { vst1q_f32(p, v); }
    static inline F add(F a, F b) { return vaddq_f32(a, b); }
    static inline F sub(F a, F b) { return vsubq_f32(a, b); }
    static inline F mul(F a, F b) { return vmulq_f32(a, b); }
#if defined(__aarch64__)
    static inline F fma(F a, F b, F c) { return vfmaq_f32(c, a, b); }
    static inline F div(F a, F b) { return vdivq_f32(a, b); }
    static inline F floor(F a) { return vrndmq_f32(a); }
#else
    static inline F fma(F a, F b, F c) { return vmlaq_f32(c, a, b); }
    static inline F div(F a, F b) {
        F r = vrecpeq_f32(b);
        r = vmulq_f32(vrecpsq_f32(b, r), r);
        r = vmulq_f32(vrecpsq_f32(b, r), r);
        return vmulq_f32(a, r);
    }
    static inline F floor(F a) {  // |a| < 2^31
        const F t = vcvtq_f32_s32(vcvtq_s32_f32(a));
        return vsubq_f32(t, vreinterpretq_f32_u32(vandq_u32(neon_cgt(t, a), vreinterpretq_u32_f32(vdupq_n_f32(1.0f)))));
    }
#endif
    static inline F min(F a, F b) { return vminq_f32(a, b); }
    static inline F max(F a, F b) { return vmaxq_f32(a, b); }
    static inline F abs(F a) { return vabsq_f32(a); }
    static inline M lt(F a, F b) { return neon_clt(a, b); }
    static inline M gt(F a, F b) { return neon_cgt(a, b); }
    static inline M is_nan(F a) { return vmvnq_u32(vceqq_f32(a, a)); }
    static inline F sel(M m, F a, F b) { return vbslq_f32(m, a, b); }
    static inline I cvt_i(F a) { return vcvtq_s32_f32(a); }
    static inline F pow2i(I n) { return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n, vdupq_n_s32(127)), 23)); }
};

}  // namespace sdk
