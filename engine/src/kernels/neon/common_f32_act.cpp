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

// vmath::Math<VNeon>::hardswish's values: x * min(max(fma(x, 1/6, 1/2), 0), 1) (the same
// multiply-add and product: the same bits). The clamp as MAX/MIN (2 instructions, not 4): the
// selects' values, NaN included; the clamped value is never -0 (0.5 + x/6 rounds an exact
// zero to +0), so no sign of zero differs either. In assembly, 16 floats a trip (mobilenet_v3:
// 25 instructions per 4 floats with vmath::span, 18 per 8 with GCC's loop of intrinsics; here
// 24 per 16 on AArch64, 26 on ARMv7): per vector MOV 1/2, FMLA x * (1/6) (ARMv7: VMLA, the
// product and the sum rounded apart, as vmlaq_f32, VNeon::fma there), MAX 0, MIN 1, MUL by x.
alignas(4) static const float kSixth = 1.0f / 6.0f;
__attribute__((noinline)) static void hardswish16(const float* x, float* y, int64_t trips) {
#if defined(__aarch64__)
    __asm__ volatile(
        "ld1r {v16.4s}, [%[k]]\n"
        "fmov v17.4s, #0.5\n"
        "movi v18.4s, #0\n"
        "fmov v19.4s, #1.0\n"
        "1: ld1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[x]], #64\n"
        "mov v4.16b, v17.16b\n"
        "mov v5.16b, v17.16b\n"
        "mov v6.16b, v17.16b\n"
        "mov v7.16b, v17.16b\n"
        "fmla v4.4s, v0.4s, v16.4s\n"
        "fmla v5.4s, v1.4s, v16.4s\n"
        "fmla v6.4s, v2.4s, v16.4s\n"
        "fmla v7.4s, v3.4s, v16.4s\n"
        "fmax v4.4s, v4.4s, v18.4s\n"
        "fmax v5.4s, v5.4s, v18.4s\n"
        "fmax v6.4s, v6.4s, v18.4s\n"
        "fmax v7.4s, v7.4s, v18.4s\n"
        "fmin v4.4s, v4.4s, v19.4s\n"
        "fmin v5.4s, v5.4s, v19.4s\n"
        "fmin v6.4s, v6.4s, v19.4s\n"
        "fmin v7.4s, v7.4s, v19.4s\n"
        "fmul v4.4s, v0.4s, v4.4s\n"
        "fmul v5.4s, v1.4s, v5.4s\n"
        "fmul v6.4s, v2.4s, v6.4s\n"
        "fmul v7.4s, v3.4s, v7.4s\n"
        "st1 {v4.4s, v5.4s, v6.4s, v7.4s}, [%[y]], #64\n"
        "subs %[t], %[t], #1\n"
        "b.ne 1b\n"
        : [x] "+r"(x), [y] "+r"(y), [t] "+r"(trips)
        : [k] "r"(&kSixth)
        : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v17", "v18", "v19", "cc", "memory");
#else
    int32_t t = (int32_t)trips;
    __asm__ volatile(
        "vld1.32 {d24[], d25[]}, [%[k]]\n"
        "vmov.f32 q13, #0.5\n"
        "vmov.i32 q14, #0\n"
        "vmov.f32 q15, #1.0\n"
        "1: vld1.32 {d0-d3}, [%[x]]!\n"
        "vld1.32 {d4-d7}, [%[x]]!\n"
        "vmov q8, q13\n"
        "vmov q9, q13\n"
        "vmov q10, q13\n"
        "vmov q11, q13\n"
        "vmla.f32 q8, q0, q12\n"
        "vmla.f32 q9, q1, q12\n"
        "vmla.f32 q10, q2, q12\n"
        "vmla.f32 q11, q3, q12\n"
        "vmax.f32 q8, q8, q14\n"
        "vmax.f32 q9, q9, q14\n"
        "vmax.f32 q10, q10, q14\n"
        "vmax.f32 q11, q11, q14\n"
        "vmin.f32 q8, q8, q15\n"
        "vmin.f32 q9, q9, q15\n"
        "vmin.f32 q10, q10, q15\n"
        "vmin.f32 q11, q11, q15\n"
        "vmul.f32 q8, q0, q8\n"
        "vmul.f32 q9, q1, q9\n"
        "vmul.f32 q10, q2, q10\n"
        "vmul.f32 q11, q3, q11\n"
        "vst1.32 {d16-d19}, [%[y]]!\n"
        "vst1.32 {d20-d23}, [%[y]]!\n"
        "subs %[t], %[t], #1\n"
        "bne 1b\n"
        : [x] "+r"(x), [y] "+r"(y), [t] "+r"(t)
        : [k] "r"(&kSixth)
        : "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d16", "d17", "d18", "d19", "d20", "d21", "d22", "d23",
          "d24", "d25", "d26", "d27", "d28", "d29", "d30", "d31", "cc", "memory");
#endif
}

void hardswish_f32(const float* x, float* y, int64_t n) {
    if (n >= 16) hardswish16(x, y, n >> 4);
    // the last 1-15 floats through the same loop once more, from a zero-padded copy
    const int64_t rest = n & 15;
    if (rest == 0) return;
    float t[16] = {};
    for (int64_t j = 0; j < rest; ++j) t[j] = x[n - rest + j];
    hardswish16(t, t, 1);
    for (int64_t j = 0; j < rest; ++j) y[n - rest + j] = t[j];
}

}  // namespace neon

#if defined(__aarch64__)
namespace ref {

// sigmoid_vec (kernels/ref/act_f32.h) as GCC compiles it for AArch64, where it contracts
// a * b + c into FMLA (n = fma(t, log2e, magic) - magic, r = t - n * ln2hi, r + n * ln2lo,
// the polynomial's Horner steps, p * r * r + r as fma(p * r, r, r), 1 + p * 2^n), rewritten
// with the same roundings in fewer instructions (21 a vector, was 33):
// - on xc = clamp(x) = -t instead of t = -x (no negation): round-to-nearest is symmetric,
//   so u = xc + n * ln2hi - n * ln2lo is -r exactly, each Horner step fms(c, u, p) the
//   original fma(c, r, p), and 1 - fms(u, u * p, u) the original fma(r, r * p, r) + 1;
// - 2^n without a conversion: magic + n (|n| <= 127) has n in its low mantissa bits, so
//   its bits shifted left by 23 are n << 23, and p + (n << 23) as integers is p * 2^n
//   (exact for p in [0.7, 1.5] and n in [-126, 127]; at n = -126 with p < 1 the exact
//   product is subnormal, but 1 + it rounds to 1 either way): 1 + p * 2^n is one FADD;
// - SiLU without the NaN select (x * s is x's NaN when x is NaN).
// Checked bit for bit against the scalar fmaf form over every non-NaN float (and by
// tests/engine: test_elementwise on random arrays).
// Per vector (v = x): xc = min(max(v, lo), hi) (lo = -88, hi = 87.34: -t's clamp);
// m = fms(magic, xc, log2e); nn = m - magic; u = fms(fma(xc, nn, ln2hi), nn, ln2lo);
// p = fms(c1, u, c0), then p = fms(ck, u, p) for c2..c5; p = 1 - fms(u, u * p, u);
// s = 1 / (1 + as_float(bits(p) + (bits(m) << 23))); s = 0 where v < -88.
// The loops in assembly, SiLU's 8 floats (two vectors, interleaved) a trip, Sigmoid's 4 (a
// standalone op or an SE block's gate: rarer; 112 B less code): GCC's code (with the
// formula above, operation for operation: the same bits) spent 3 instructions a vector on
// its loop and 26 on loading the 13 constants per call; here LDP/STP with post-increment and
// one SUBS + B.NE a trip, and the constants by one LD1 (the multiplicands as lanes of
// v21/v22/v23, the Horner addends copied from lanes by DUP: GCC's MOVs, as many).
// v20 {lo, hi, magic, one} -> v16-v19 (whole vectors); v21 {log2e, ln2hi, ln2lo, c0};
// v22 {c1..c4}; v23 {c5}. Out of line: the body and the tail call it (one copy in the code).
alignas(16) static const float kSigA64[16] = {-88.0f,           87.3365447504f,   12582912.0f,      1.0f,
                                              1.44269504088896341f, 0.693359375f, 2.12194440e-4f, 1.9875691500e-4f,
                                              1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f, 1.6666665459e-1f,
                                              5.0000001201e-1f, 0.0f,             0.0f,             0.0f};

__attribute__((noinline)) static void sigmoid8_a64(const float* x, float* y, int64_t trips, int silu) {
    __asm__ volatile(
        "cbz %[trips], 9f\n"
        "ld1 {v20.4s-v23.4s}, [%[k]]\n"
        "dup v16.4s, v20.s[0]\n"
        "dup v17.4s, v20.s[1]\n"
        "dup v18.4s, v20.s[2]\n"
        "dup v19.4s, v20.s[3]\n"
        "cbz %w[silu], 2f\n"
        "1:\n"
        "ldp q0, q24, [%[x]], #32\n"
        "fmax v1.4s, v0.4s, v16.4s\n"
        "fmax v25.4s, v24.4s, v16.4s\n"
        "fmin v1.4s, v1.4s, v17.4s\n"
        "fmin v25.4s, v25.4s, v17.4s\n"
        "mov v2.16b, v18.16b\n"
        "mov v26.16b, v18.16b\n"
        "fmls v2.4s, v1.4s, v21.s[0]\n"
        "fmls v26.4s, v25.4s, v21.s[0]\n"
        "fsub v3.4s, v2.4s, v18.4s\n"
        "fsub v27.4s, v26.4s, v18.4s\n"
        "fmla v1.4s, v3.4s, v21.s[1]\n"
        "fmla v25.4s, v27.4s, v21.s[1]\n"
        "fmls v1.4s, v3.4s, v21.s[2]\n"
        "fmls v25.4s, v27.4s, v21.s[2]\n"
        "dup v4.4s, v22.s[0]\n"
        "dup v28.4s, v22.s[0]\n"
        "fmls v4.4s, v1.4s, v21.s[3]\n"
        "fmls v28.4s, v25.4s, v21.s[3]\n"
        "dup v5.4s, v22.s[1]\n"
        "dup v29.4s, v22.s[1]\n"
        "fmls v5.4s, v1.4s, v4.4s\n"
        "fmls v29.4s, v25.4s, v28.4s\n"
        "dup v4.4s, v22.s[2]\n"
        "dup v28.4s, v22.s[2]\n"
        "fmls v4.4s, v1.4s, v5.4s\n"
        "fmls v28.4s, v25.4s, v29.4s\n"
        "dup v5.4s, v22.s[3]\n"
        "dup v29.4s, v22.s[3]\n"
        "fmls v5.4s, v1.4s, v4.4s\n"
        "fmls v29.4s, v25.4s, v28.4s\n"
        "dup v4.4s, v23.s[0]\n"
        "dup v28.4s, v23.s[0]\n"
        "fmls v4.4s, v1.4s, v5.4s\n"
        "fmls v28.4s, v25.4s, v29.4s\n"
        "fmul v4.4s, v1.4s, v4.4s\n"
        "fmul v28.4s, v25.4s, v28.4s\n"
        "fmls v1.4s, v4.4s, v1.4s\n"
        "fmls v25.4s, v28.4s, v25.4s\n"
        "fsub v1.4s, v19.4s, v1.4s\n"
        "fsub v25.4s, v19.4s, v25.4s\n"
        "shl v2.4s, v2.4s, #23\n"
        "shl v26.4s, v26.4s, #23\n"
        "add v2.4s, v2.4s, v1.4s\n"
        "add v26.4s, v26.4s, v25.4s\n"
        "fadd v2.4s, v2.4s, v19.4s\n"
        "fadd v26.4s, v26.4s, v19.4s\n"
        "fdiv v2.4s, v19.4s, v2.4s\n"
        "fdiv v26.4s, v19.4s, v26.4s\n"
        "fcmgt v6.4s, v16.4s, v0.4s\n"
        "fcmgt v30.4s, v16.4s, v24.4s\n"
        "bic v2.16b, v2.16b, v6.16b\n"
        "bic v26.16b, v26.16b, v30.16b\n"
        "fmul v2.4s, v0.4s, v2.4s\n"
        "fmul v26.4s, v24.4s, v26.4s\n"
        "stp q2, q26, [%[y]], #32\n"
        "subs %[trips], %[trips], #1\n"
        "b.ne 1b\n"
        "b 9f\n"
        "2:\n"
        "lsl %[trips], %[trips], #1\n"
        "3:\n"
        "ldr q0, [%[x]], #16\n"
        "fmax v1.4s, v0.4s, v16.4s\n"
        "fmin v1.4s, v1.4s, v17.4s\n"
        "mov v2.16b, v18.16b\n"
        "fmls v2.4s, v1.4s, v21.s[0]\n"
        "fsub v3.4s, v2.4s, v18.4s\n"
        "fmla v1.4s, v3.4s, v21.s[1]\n"
        "fmls v1.4s, v3.4s, v21.s[2]\n"
        "dup v4.4s, v22.s[0]\n"
        "fmls v4.4s, v1.4s, v21.s[3]\n"
        "dup v5.4s, v22.s[1]\n"
        "fmls v5.4s, v1.4s, v4.4s\n"
        "dup v4.4s, v22.s[2]\n"
        "fmls v4.4s, v1.4s, v5.4s\n"
        "dup v5.4s, v22.s[3]\n"
        "fmls v5.4s, v1.4s, v4.4s\n"
        "dup v4.4s, v23.s[0]\n"
        "fmls v4.4s, v1.4s, v5.4s\n"
        "fmul v4.4s, v1.4s, v4.4s\n"
        "fmls v1.4s, v4.4s, v1.4s\n"
        "fsub v1.4s, v19.4s, v1.4s\n"
        "shl v2.4s, v2.4s, #23\n"
        "add v2.4s, v2.4s, v1.4s\n"
        "fadd v2.4s, v2.4s, v19.4s\n"
        "fdiv v2.4s, v19.4s, v2.4s\n"
        "fcmgt v6.4s, v16.4s, v0.4s\n"
        "bic v2.16b, v2.16b, v6.16b\n"
        "fcmeq v6.4s, v0.4s, v0.4s\n"
        "bif v2.16b, v0.16b, v6.16b\n"
        "str q2, [%[y]], #16\n"
        "subs %[trips], %[trips], #1\n"
        "b.ne 3b\n"
        "9:\n"
        : [x] "+r"(x), [y] "+r"(y), [trips] "+r"(trips)
        : [k] "r"(kSigA64), [silu] "r"(silu)
        : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23",
          "v24", "v25", "v26", "v27", "v28", "v29", "v30", "cc", "memory");
}

void neon_sigmoid_span_a64(const float* x, float* y, int64_t n, bool silu) {
    sigmoid8_a64(x, y, n >> 3, silu);
    const int64_t rest = n & 7;
    if (rest == 0) return;
    // the last 1-7 floats from a zero-padded copy
    float t[8] = {};
    for (int64_t j = 0; j < rest; ++j) t[j] = x[n - rest + j];
    sigmoid8_a64(t, t, 1, silu);
    for (int64_t j = 0; j < rest; ++j) y[n - rest + j] = t[j];
}

}  // namespace ref
#endif

#if !defined(__aarch64__)
namespace ref {
namespace {

// sigmoid_vec's formula (kernels/ref/act_f32.h) in NEON intrinsics: on ARMv7 GCC runs
// generic float vectors as scalar VFP code (~100 instructions a lane here). One rounding
// per operation, as the VFP code (VMLA/VMLS round the product, then the sum), so the same
// bits as the portable form, but for denormal inputs (NEON flushes them to zero); rewritten
// as the AArch64 span above (on xc = clamp(x) = -t, the signs of the products turned, and
// 2^n added to p's exponent as an integer; checked bit for bit against the step-for-step
// form over every non-NaN float): 4 instructions fewer a vector. ARMv7 NEON has no
// division: the 1 / (1 + e) is 4 VFP divisions (IEEE, as in the portable form).
__attribute__((always_inline)) inline float32x4_t sigmoid4(float32x4_t x) {
    const float32x4_t one = vdupq_n_f32(1.0f), magic = vdupq_n_f32(12582912.0f), lo = vdupq_n_f32(-88.0f);
    const float32x4_t xc = vminq_f32(vmaxq_f32(x, lo), vdupq_n_f32(87.3365447504f));  // -t's clamp
    const float32x4_t m = vmlsq_f32(magic, xc, vdupq_n_f32(1.44269504088896341f));
    const float32x4_t n = vsubq_f32(m, magic);
    float32x4_t u = vmlaq_f32(xc, n, vdupq_n_f32(0.693359375f));  // -r
    u = vmlsq_f32(u, n, vdupq_n_f32(2.12194440e-4f));
    float32x4_t p = vmlsq_f32(vdupq_n_f32(1.3981999507e-3f), u, vdupq_n_f32(1.9875691500e-4f));
    p = vmlsq_f32(vdupq_n_f32(8.3334519073e-3f), p, u);
    p = vmlsq_f32(vdupq_n_f32(4.1665795894e-2f), p, u);
    p = vmlsq_f32(vdupq_n_f32(1.6666665459e-1f), p, u);
    p = vmlsq_f32(vdupq_n_f32(5.0000001201e-1f), p, u);
    p = vsubq_f32(one, vmlsq_f32(u, vmulq_f32(p, u), u));  // (p * r) * r + r + 1
    const uint32x4_t q = vaddq_u32(vreinterpretq_u32_f32(p), vshlq_n_u32(vreinterpretq_u32_f32(m), 23));
    // the four lanes divided in place in q4 (s16-s19: VFP reaches the lanes of q0-q7 as
    // single registers; through memory, as GCC does it, cost 10 more instructions)
    register float32x4_t s asm("q4") = vaddq_f32(one, vreinterpretq_f32_u32(q));
    __asm__("vdiv.f32 s16, %[one], s16\n"
            "vdiv.f32 s17, %[one], s17\n"
            "vdiv.f32 s18, %[one], s18\n"
            "vdiv.f32 s19, %[one], s19\n"
            : "+w"(s)
            : [one] "t"(1.0f));
    return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(s), neon_clt(x, lo)));  // x < -88: 0
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
            vst1q_f32(y, vmulq_f32(v, sigmoid4(v)));  // x * s: NaN for a NaN x
        }
    } else {
        for (const float* xp = x; xp != xe; xp += 4, y += 4) {
            const float32x4_t v = vld1q_f32(xp);
            vst1q_f32(y, vbslq_f32(vceqq_f32(v, v), sigmoid4(v), v));  // NaN in, NaN out
        }
    }
    y -= i;
    if (i < n) {
        float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        for (int64_t j = i; j < n; ++j) t[j - i] = x[j];
        const float32x4_t v = vld1q_f32(t), s = sigmoid4(v);
        vst1q_f32(t, silu ? vmulq_f32(v, s) : vbslq_f32(vceqq_f32(v, v), s, v));
        for (int64_t j = i; j < n; ++j) y[j] = t[j - i];
    }
}

}  // namespace ref
#endif
}  // namespace sdk
#endif
