// NEON fp32 Add and Mul rows (ARMv7 and AArch64) behind the broadcast walker
// (kernels/ref/binary.h): 4 lanes per step, a broadcast operand (unit 0) held in a register,
// Add's fused Relu/Clip on the register (compare + select: act_f32's results, NaN
// included), other fused activations over the stored row. The portable row loops run
// scalar on ARM: GCC does not vectorize at -Os (how SDKs ship), and never vectorizes float
// code for ARMv7 NEON. Taken while the fp32 NEON tier is on (neon_sgemm_enabled()).
#include "kernels/ref/binary.h"

#if SDK_FEATURE_FP32 && SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>

#include "kernels/neon/cmp_neon.h"
#include "kernels/ref/act_f32.h"
#include "kernels/ref/sgemm_f32.h"

namespace sdk {
namespace {

#if defined(__aarch64__)
// y[0, 16 * trips) = a * b (mul) or a + b, 16 floats a trip: 9 instructions where GCC's -Os loop
// (8 floats: indexed loads, a top test and a back branch) took 20. One out-of-line copy for the
// six row<> cases: a broadcast operand comes as 16 copies with a step of 0 (sa/sb: bytes a trip).
// (efficientnet's SE planes are 16k, 16k + 4 or 16k + 1 floats: the 4-float loop takes the rest.)
// Same per-lane fmul/fadd, same operand order: the same bits.
__attribute__((noinline)) void bin16_a64(bool mul, const float* a, int64_t sa, const float* b, int64_t sb, float* y,
                                        int64_t trips) {
// One loop for both operations; OP is the instruction (the same lanes, operands and order).
#define SDK_BIN16(OP)                                                                   \
    __asm__ volatile(                                                                   \
        "1: ld1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[a]], %[sa]\n"                         \
        "ld1 {v4.4s, v5.4s, v6.4s, v7.4s}, [%[b]], %[sb]\n"                            \
        OP " v0.4s, v0.4s, v4.4s\n" OP " v1.4s, v1.4s, v5.4s\n"                      \
        OP " v2.4s, v2.4s, v6.4s\n" OP " v3.4s, v3.4s, v7.4s\n"                      \
        "st1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[y]], #64\n"                              \
        "subs %[k], %[k], #1\n"                                                        \
        "b.ne 1b\n"                                                                    \
        : [a] "+r"(a), [b] "+r"(b), [y] "+r"(y), [k] "+r"(trips)                        \
        : [sa] "r"(sa), [sb] "r"(sb)                                                    \
        : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "memory", "cc")
    if (mul)
        SDK_BIN16("fmul");
    else
        SDK_BIN16("fadd");
#undef SDK_BIN16
}
#endif

template <bool MUL, bool SA, bool SB>
void row(const float* a, const float* b, float* y, int64_t n, const ref::ActParams* act) {
    const int kind = act ? act->kind : kActNone;
    const bool relu = kind == kActRelu, clip = kind == kActClip;
    const float32x4_t zero = vdupq_n_f32(0.0f), lo = vdupq_n_f32(clip ? act->lo : 0.0f),
                      hi = vdupq_n_f32(clip ? act->hi : 0.0f);
    const float32x4_t va = vdupq_n_f32(a[0]), vb = vdupq_n_f32(b[0]);
    int64_t i = 0;
    if (kind == kActNone) {  // (SE blocks' Mul, residual Adds) two vectors a trip, no activation checks
#if defined(__aarch64__)
        if (n >= 16) {
            float rep[16];  // the broadcast operand's 16 copies, stepped by 0 in the shared loop
            for (int k = 0; k < 16; k += 4) vst1q_f32(rep + k, SA ? vb : va);
            bin16_a64(MUL, SA ? a : rep, SA ? 64 : 0, SB ? b : rep, SB ? 64 : 0, y, n >> 4);
            i = n & ~int64_t(15);
        }
#else
        for (; i + 8 <= n; i += 8) {
            const float32x4_t x0 = SA ? vld1q_f32(a + i) : va, z0 = SB ? vld1q_f32(b + i) : vb;
            const float32x4_t x1 = SA ? vld1q_f32(a + i + 4) : va, z1 = SB ? vld1q_f32(b + i + 4) : vb;
            vst1q_f32(y + i, MUL ? vmulq_f32(x0, z0) : vaddq_f32(x0, z0));
            vst1q_f32(y + i + 4, MUL ? vmulq_f32(x1, z1) : vaddq_f32(x1, z1));
        }
#endif
    }
    for (; i + 4 <= n; i += 4) {
        const float32x4_t x = SA ? vld1q_f32(a + i) : va, z = SB ? vld1q_f32(b + i) : vb;
        float32x4_t r = MUL ? vmulq_f32(x, z) : vaddq_f32(x, z);
        if (relu) r = vbslq_f32(neon_cgt(r, zero), r, zero);
        if (clip) {
            const uint32x4_t below = neon_clt(r, lo), above = neon_cgt(r, hi);  // clip_f32: x < lo first
            r = vbslq_f32(below, lo, vbslq_f32(above, hi, r));
        }
        vst1q_f32(y + i, r);
    }
    for (; i < n; ++i) {
        const float x = SA ? a[i] : a[0], z = SB ? b[i] : b[0];
        const float r = MUL ? x * z : x + z;
        // act_f32's Relu and Clip cases only: its full switch (Sigmoid, SiLU, HardSwish) was
        // inlined into all six rows by clang -Oz (~3 KB), and those kinds run below
        y[i] = relu ? (r > 0.0f ? r : 0.0f) : clip ? ref::clip_f32(r, act->lo, act->hi) : r;
    }
    if (kind != kActNone && !relu && !clip) ref::act_span_f32(y, n, *act);
}

template <bool MUL>
void dispatch(const void* const* in, const uint8_t* unit, float* y, int64_t n, const ref::ActParams* act) {
    const float* a = static_cast<const float*>(in[0]);
    const float* b = static_cast<const float*>(in[1]);
    if (unit[0] && unit[1])
        row<MUL, true, true>(a, b, y, n, act);
    else if (unit[0])
        row<MUL, true, false>(a, b, y, n, act);
    else
        row<MUL, false, true>(a, b, y, n, act);
}

// Squeeze-excitation's scale, y[r][i] = s[r] * x[r][i] (s_first) or x[r][i] * s[r], over rows
// rows of inner floats: one call per tensor (or thread chunk), not the broadcast walker's row
// by row (~150 instructions a row besides the arithmetic: MobileNetV3's 2,296 rows). Per row
// 16 floats a trip, then 4, then single floats (NEON, NEON, VFP on ARMv7: the row kernel's
// instructions and operand order per element, so its bits, NaN payloads and ARMv7's flushed
// denormals in the NEON part included).
#define SDK_SCALE_ROWS_A64(M0, M1, M2, M3, MQ, MS)                                                         \
    "1: ld1r {v16.4s}, [%[s]], #4\n"                                                                       \
    "lsr %[k], %[n], #4\n"                                                                                 \
    "cbz %[k], 3f\n"                                                                                       \
    "2: ld1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[x]], #64\n" M0 M1 M2 M3                                      \
    "st1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[y]], #64\n"                                                     \
    "subs %[k], %[k], #1\n"                                                                                \
    "b.ne 2b\n"                                                                                            \
    "3: ubfx %[k], %[n], #2, #2\n"                                                                         \
    "cbz %[k], 5f\n"                                                                                       \
    "4: ld1 {v0.4s}, [%[x]], #16\n" MQ "st1 {v0.4s}, [%[y]], #16\n"                                       \
    "subs %[k], %[k], #1\n"                                                                                \
    "b.ne 4b\n"                                                                                            \
    "5: ands %[k], %[n], #3\n"                                                                             \
    "b.eq 7f\n"                                                                                            \
    "6: ldr s0, [%[x]], #4\n" MS "str s0, [%[y]], #4\n"                                                   \
    "subs %[k], %[k], #1\n"                                                                                \
    "b.ne 6b\n"                                                                                            \
    "7: subs %[r], %[r], #1\n"                                                                             \
    "b.ne 1b\n"
#define SDK_SCALE_ROWS_V7(M0, M1, M2, M3, MQ, MS)                                                          \
    "1: vld1.32 {d6[], d7[]}, [%[s]]!\n"                                                                   \
    "lsrs %[k], %[n], #4\n"                                                                                \
    "beq 3f\n"                                                                                             \
    "2: vld1.32 {d16-d19}, [%[x]]!\n"                                                                      \
    "vld1.32 {d20-d23}, [%[x]]!\n" M0 M1 M2 M3                                                            \
    "vst1.32 {d16-d19}, [%[y]]!\n"                                                                         \
    "vst1.32 {d20-d23}, [%[y]]!\n"                                                                         \
    "subs %[k], %[k], #1\n"                                                                                \
    "bne 2b\n"                                                                                             \
    "3: ubfx %[k], %[n], #2, #2\n"                                                                         \
    "cmp %[k], #0\n"                                                                                       \
    "beq 5f\n"                                                                                             \
    "4: vld1.32 {d0-d1}, [%[x]]!\n" MQ "vst1.32 {d0-d1}, [%[y]]!\n"                                       \
    "subs %[k], %[k], #1\n"                                                                                \
    "bne 4b\n"                                                                                             \
    "5: ands %[k], %[n], #3\n"                                                                             \
    "beq 7f\n"                                                                                             \
    "6: vldmia %[x]!, {s0}\n" MS "vstmia %[y]!, {s0}\n"                                                   \
    "subs %[k], %[k], #1\n"                                                                                \
    "bne 6b\n"                                                                                             \
    "7: subs %[r], %[r], #1\n"                                                                             \
    "bne 1b\n"

}  // namespace

void neon_scale_rows_f32(const float* s, const float* x, float* y, int64_t inner, int64_t rows, bool s_first) {
    if (rows <= 0 || inner <= 0) return;
#if defined(__aarch64__)
    int64_t k = 0;
    if (s_first)
        __asm__ volatile(SDK_SCALE_ROWS_A64("fmul v0.4s, v16.4s, v0.4s\n", "fmul v1.4s, v16.4s, v1.4s\n",
                                            "fmul v2.4s, v16.4s, v2.4s\n", "fmul v3.4s, v16.4s, v3.4s\n",
                                            "fmul v0.4s, v16.4s, v0.4s\n", "fmul s0, s16, s0\n")
                         : [s] "+r"(s), [x] "+r"(x), [y] "+r"(y), [r] "+r"(rows), [k] "=&r"(k)
                         : [n] "r"(inner)
                         : "v0", "v1", "v2", "v3", "v16", "memory", "cc");
    else
        __asm__ volatile(SDK_SCALE_ROWS_A64("fmul v0.4s, v0.4s, v16.4s\n", "fmul v1.4s, v1.4s, v16.4s\n",
                                            "fmul v2.4s, v2.4s, v16.4s\n", "fmul v3.4s, v3.4s, v16.4s\n",
                                            "fmul v0.4s, v0.4s, v16.4s\n", "fmul s0, s0, s16\n")
                         : [s] "+r"(s), [x] "+r"(x), [y] "+r"(y), [r] "+r"(rows), [k] "=&r"(k)
                         : [n] "r"(inner)
                         : "v0", "v1", "v2", "v3", "v16", "memory", "cc");
#else
    int32_t k = 0, r = (int32_t)rows;
    const int32_t n = (int32_t)inner;
    if (s_first)
        __asm__ volatile(SDK_SCALE_ROWS_V7("vmul.f32 q8, q3, q8\n", "vmul.f32 q9, q3, q9\n",
                                           "vmul.f32 q10, q3, q10\n", "vmul.f32 q11, q3, q11\n",
                                           "vmul.f32 q0, q3, q0\n", "vmul.f32 s0, s12, s0\n")
                         : [s] "+r"(s), [x] "+r"(x), [y] "+r"(y), [r] "+r"(r), [k] "=&r"(k)
                         : [n] "r"(n)
                         : "d0", "d1", "d6", "d7", "d16", "d17", "d18", "d19", "d20", "d21", "d22", "d23", "memory",
                           "cc");
    else
        __asm__ volatile(SDK_SCALE_ROWS_V7("vmul.f32 q8, q8, q3\n", "vmul.f32 q9, q9, q3\n",
                                           "vmul.f32 q10, q10, q3\n", "vmul.f32 q11, q11, q3\n",
                                           "vmul.f32 q0, q0, q3\n", "vmul.f32 s0, s0, s12\n")
                         : [s] "+r"(s), [x] "+r"(x), [y] "+r"(y), [r] "+r"(r), [k] "=&r"(k)
                         : [n] "r"(n)
                         : "d0", "d1", "d6", "d7", "d16", "d17", "d18", "d19", "d20", "d21", "d22", "d23", "memory",
                           "cc");
#endif
}

bool neon_binary_row_f32(bool mul, const void* const* in, const uint8_t* unit, float* y, int64_t n,
                         const ref::ActParams* act) {
    if (!ref::neon_sgemm_enabled()) return false;
    if (mul)
        dispatch<true>(in, unit, y, n, act);
    else
        dispatch<false>(in, unit, y, n, act);
    return true;
}

}  // namespace sdk
#endif
