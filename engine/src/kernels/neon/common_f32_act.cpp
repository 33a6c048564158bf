// NEON HardSwish (ARMv7 and AArch64): the HardSwish op and the fused activation of
// Conv/Gemm/Add (hardswish_span_f32, kernels/ref/act_f32.h); Sigmoid/SiLU too.
#include "kernels/ref/act_f32.h"
#include "kernels/ref/unary.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include "kernels/neon/cmp_neon.h"
#include "kernels/neon/vec_neon.h"
#include "kernels/unroll.h"
#include "kernels/vec_math.h"

namespace sdk {
namespace neon {

// Two vectors a trip, then vmath::span for the last 1-7 floats: span's per-vector tail
// checks cost more than the formula's 6 instructions (mobilenet_v3: 25 instructions per 4
// floats, now ~10). The same formula, so the same bits.
namespace {
// vmath::Math<VNeon>::hardswish's values (the same multiply-add and product: the same bits),
// forced inline: -Os left that one out of line, a call per vector.
__attribute__((always_inline)) inline float32x4_t hardswish4(float32x4_t x, float32x4_t sixth, float32x4_t half,
                                                             float32x4_t zero, float32x4_t one) {
    // the clamp as MAX/MIN (2 instructions, not 4): the selects' values, NaN included; t is
    // never -0 (0.5 + x/6 rounds an exact zero to +0), so no sign of zero differs either
    const float32x4_t t = vminq_f32(vmaxq_f32(VNeon::fma(x, sixth, half), zero), one);
    return vmulq_f32(x, t);
}
}  // namespace

void hardswish_f32(const float* x, float* y, int64_t n) {
    const float32x4_t sixth = vdupq_n_f32(1.0f / 6.0f), half = vdupq_n_f32(0.5f), zero = vdupq_n_f32(0.0f),
                      one = vdupq_n_f32(1.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const float32x4_t a = vld1q_f32(x + i), b = vld1q_f32(x + i + 4);
        vst1q_f32(y + i, hardswish4(a, sixth, half, zero, one));
        vst1q_f32(y + i + 4, hardswish4(b, sixth, half, zero, one));
    }
    if (i < n) vmath::span<VNeon, vmath::Math<VNeon>::hardswish>(x + i, y + i, n - i);
}

}  // namespace neon

#if defined(__aarch64__)
namespace ref {

// sigmoid_vec (kernels/ref/act_f32.h) as GCC compiles it for AArch64, where it contracts
// a * b + c into FMLA: n = fma(t, log2e, magic) - magic, r = t - n * ln2hi (FMLS),
// r + n * ln2lo, the polynomial's Horner steps, p * r * r + r as fma(p * r, r, r), and
// 1 + p * 2^n; the clamps of -x by FMIN/FMAX (the same values, NaN too: the NaN select at
// the end returns x then). The same operations with the same roundings, so the same bits
// (tests/engine: test_elementwise checks it against the lane formula bit for bit); the
// generic vectors spent 9 more instructions a vector (register copies, per-element
// addressing, the SiLU test inside the loop).
__attribute__((optimize("O2"))) void neon_sigmoid_span_a64(const float* x, float* y, int64_t n, bool silu) {
    const float32x4_t one = vdupq_n_f32(1.0f), hi = vdupq_n_f32(88.0f), lo = vdupq_n_f32(-87.3365447504f),
                      magic = vdupq_n_f32(12582912.0f), log2e = vdupq_n_f32(1.44269504088896341f),
                      ln2hi = vdupq_n_f32(0.693359375f), ln2lo = vdupq_n_f32(2.12194440e-4f),
                      c0 = vdupq_n_f32(1.9875691500e-4f), c1 = vdupq_n_f32(1.3981999507e-3f),
                      c2 = vdupq_n_f32(8.3334519073e-3f), c3 = vdupq_n_f32(4.1665795894e-2f),
                      c4 = vdupq_n_f32(1.6666665459e-1f), c5 = vdupq_n_f32(5.0000001201e-1f),
                      under = vdupq_n_f32(-88.0f);
    const int32x4_t bias = vdupq_n_s32(127);
    const uint32x4_t sign = vdupq_n_u32(0x80000000u);
    auto f = [&](float32x4_t v) __attribute__((always_inline)) {
        float32x4_t t = vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(v), sign));  // -x
        t = vminq_f32(t, hi);
        t = vmaxq_f32(t, lo);
        const float32x4_t nn = vsubq_f32(vfmaq_f32(magic, t, log2e), magic);
        float32x4_t r = vfmsq_f32(t, nn, ln2hi);
        r = vfmaq_f32(r, nn, ln2lo);
        float32x4_t p = vfmaq_f32(c1, r, c0);
        p = vfmaq_f32(c2, r, p);
        p = vfmaq_f32(c3, r, p);
        p = vfmaq_f32(c4, r, p);
        p = vfmaq_f32(c5, r, p);
        p = vaddq_f32(vfmaq_f32(r, vmulq_f32(r, p), r), one);
        const int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(nn), bias), 23);
        float32x4_t s = vdivq_f32(one, vfmaq_f32(one, p, vreinterpretq_f32_s32(e)));
        s = vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(s), neon_clt(v, under)));
        return vbslq_f32(vceqq_f32(v, v), s, v);  // NaN in, NaN out
    };
    int64_t i = 0;
    if (silu) {
        for (; i + 4 <= n; i += 4) {
            const float32x4_t v = vld1q_f32(x + i);
            vst1q_f32(y + i, vmulq_f32(v, f(v)));
        }
    } else {
        for (; i + 4 <= n; i += 4) vst1q_f32(y + i, f(vld1q_f32(x + i)));
    }
    if (i < n) {
        float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        for (int64_t j = i; j < n; ++j) t[j - i] = x[j];
        const float32x4_t v = vld1q_f32(t), s = f(v);
        vst1q_f32(t, silu ? vmulq_f32(v, s) : s);
        for (int64_t j = i; j < n; ++j) y[j] = t[j - i];
    }
}

}  // namespace ref
#endif

#if !defined(__aarch64__)
namespace ref {
namespace {

// sigmoid_vec's formula (kernels/ref/act_f32.h) step for step in NEON intrinsics: on ARMv7
// GCC runs generic float vectors as scalar VFP code (~100 instructions a lane here). The
// same operations in the same order with one rounding each (VMLA/VMLS round the product,
// then the sum, like the VFP code), so the same bits as the portable form, but for
// denormal inputs (NEON flushes them to zero). ARMv7 NEON has no division: the 1 / (1 + e)
// is 4 VFP divisions (IEEE, as in the portable form).
__attribute__((always_inline)) inline float32x4_t sigmoid4(float32x4_t x) {
    const float32x4_t zero = vdupq_n_f32(0.0f), one = vdupq_n_f32(1.0f);
    const float32x4_t hi = vdupq_n_f32(88.0f), lo = vdupq_n_f32(-87.3365447504f), magic = vdupq_n_f32(12582912.0f);
    // -x by its sign bit (vnegq_f32 is expanded lane by lane too)
    float32x4_t t = vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(x), vdupq_n_u32(0x80000000u)));
    t = vmaxq_f32(vminq_f32(t, hi), lo);  // the selects' values (a NaN goes on as NaN: x is returned)
    const float32x4_t n = vsubq_f32(vmlaq_f32(magic, t, vdupq_n_f32(1.44269504088896341f)), magic);
    float32x4_t r = vmlsq_f32(t, n, vdupq_n_f32(0.693359375f));
    r = vmlaq_f32(r, n, vdupq_n_f32(2.12194440e-4f));
    float32x4_t p = vmlaq_f32(vdupq_n_f32(1.3981999507e-3f), r, vdupq_n_f32(1.9875691500e-4f));
    p = vmlaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
    p = vmlaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
    p = vmlaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
    p = vmlaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
    p = vaddq_f32(vaddq_f32(vmulq_f32(vmulq_f32(p, r), r), r), one);
    const int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
    const float32x4_t d = vaddq_f32(one, vmulq_f32(p, vreinterpretq_f32_s32(e)));
    // the four lanes divided in place in q4 (s16-s19: VFP reaches the lanes of q0-q7 as
    // single registers; through memory, as GCC does it, cost 10 more instructions)
    float32x4_t s;
    __asm__("vmov q4, %q[d]\n"
            "vdiv.f32 s16, %[one], s16\n"
            "vdiv.f32 s17, %[one], s17\n"
            "vdiv.f32 s18, %[one], s18\n"
            "vdiv.f32 s19, %[one], s19\n"
            "vmov %q[s], q4\n"
            : [s] "=w"(s)
            : [d] "w"(d), [one] "t"(1.0f)
            : "q4");
    s = vbslq_f32(neon_clt(x, vdupq_n_f32(-88.0f)), zero, s);
    return vbslq_f32(vceqq_f32(x, x), s, x);  // NaN in, NaN out
}

}  // namespace

// Two loops (SiLU's test out of them), a 32-bit count, and -O2's register allocation
// (at -Os GCC reloaded six constants inside the loop): 61 -> ~50 instructions a vector.
__attribute__((optimize("O2"))) void neon_sigmoid_span_v7(const float* x, float* y, int64_t n, bool silu) {
    int64_t i = n & ~(int64_t)3;
    const float* xe = x + i;
    if (silu) {
        for (const float *xp = x; xp != xe; xp += 4, y += 4) {
            const float32x4_t v = vld1q_f32(xp);
            vst1q_f32(y, vmulq_f32(v, sigmoid4(v)));
        }
    } else {
        for (const float* xp = x; xp != xe; xp += 4, y += 4) vst1q_f32(y, sigmoid4(vld1q_f32(xp)));
    }
    y -= i;
    if (i < n) {
        float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        for (int64_t j = i; j < n; ++j) t[j - i] = x[j];
        const float32x4_t v = vld1q_f32(t), s = sigmoid4(v);
        vst1q_f32(t, silu ? vmulq_f32(v, s) : s);
        for (int64_t j = i; j < n; ++j) y[j] = t[j - i];
    }
}

}  // namespace ref
#endif
}  // namespace sdk
#endif
