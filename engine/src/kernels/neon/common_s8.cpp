// NEON int8 GEMM (ARMv7 and AArch64): 2 (AArch64: 4) weight rows x 4 input columns per register tile,
// 16 int8 of K per step with SMULL + SMLAL (int16 pairs; |w| <= 127 so a pair never
// overflows) + SADALP into int32; requantization on 32-bit lanes (SQSHL + SQDMULH + SRSHL,
// kernels/neon_s8.h)
// reproduces s8::mbqm bit for bit.
#include "kernels/gemm_s8.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>
#include <string.h>

#include "kernels/neon_s8.h"

namespace sdk {
namespace s8 {
namespace {

__attribute__((always_inline)) inline int32x4_t hsum4(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d) {
#if defined(__aarch64__)
    return vpaddq_s32(vpaddq_s32(a, b), vpaddq_s32(c, d));
#else
    const int32x2_t ab = vpadd_s32(vpadd_s32(vget_low_s32(a), vget_high_s32(a)),
                                   vpadd_s32(vget_low_s32(b), vget_high_s32(b)));
    const int32x2_t cd = vpadd_s32(vpadd_s32(vget_low_s32(c), vget_high_s32(c)),
                                   vpadd_s32(vget_low_s32(d), vget_high_s32(d)));
    return vcombine_s32(ab, cd);
#endif
}

__attribute__((always_inline)) inline int16x8_t dot16(int8x16_t w, int8x16_t x) {
    int16x8_t p = vmull_s8(vget_low_s8(w), vget_low_s8(x));
#if defined(__aarch64__)
    return vmlal_high_s8(p, w, x);  // SMLAL2 (GCC does not fuse the vget_high form: a MOV each)
#else
    return vmlal_s8(p, vget_high_s8(w), vget_high_s8(x));
#endif
}


}  // namespace

void gemm_neon(const Gemm& g, int32_t m0, int32_t m1, int32_t n0, int32_t n1) {
    const int32_t kp = g.kp;
    int32_t m = m0;
#if defined(__aarch64__)
    // 4 weight rows x 4 columns (16 accumulators of the 32 registers): per 16 K, 8 loads
    // and 16 x (SMULL + SMLAL2 + SADALP). Tails of 1-3 rows or columns repeat their last
    // one (computed, not stored).
    for (; m < m1; m += 4) {
        const int32_t rows = m1 - m < 4 ? m1 - m : 4;
        const int8_t* w0 = g.w + (int64_t)m * kp;
        const int8_t* w1 = rows > 1 ? w0 + kp : w0;
        const int8_t* w2 = rows > 2 ? w1 + kp : w1;
        const int8_t* w3 = rows > 3 ? w2 + kp : w2;
        const Rows4 ep(g, m, rows);
        for (int32_t n = n0; n < n1; n += 4) {
            const int32_t nc = n1 - n < 4 ? n1 - n : 4;
            const int8_t* x0 = g.x + (int64_t)n * kp;
            const int8_t* x1 = nc > 1 ? x0 + kp : x0;
            const int8_t* x2 = nc > 2 ? x1 + kp : x1;
            const int8_t* x3 = nc > 3 ? x2 + kp : x2;
            int32x4_t a00 = vdupq_n_s32(0), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00,
                      a13 = a00, a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00,
                      a33 = a00;
            for (int32_t k = 0; k < kp; k += 16) {
                const int8x16_t vx0 = vld1q_s8(x0 + k), vx1 = vld1q_s8(x1 + k), vx2 = vld1q_s8(x2 + k),
                                vx3 = vld1q_s8(x3 + k);
#define SDK_S8_ROW(r, wr)                                  \
    {                                                      \
        const int8x16_t vw = vld1q_s8(wr + k);             \
        a##r##0 = vpadalq_s16(a##r##0, dot16(vw, vx0));    \
        a##r##1 = vpadalq_s16(a##r##1, dot16(vw, vx1));    \
        a##r##2 = vpadalq_s16(a##r##2, dot16(vw, vx2));    \
        a##r##3 = vpadalq_s16(a##r##3, dot16(vw, vx3));    \
    }
                SDK_S8_ROW(0, w0)
                SDK_S8_ROW(1, w1)
                SDK_S8_ROW(2, w2)
                SDK_S8_ROW(3, w3)
#undef SDK_S8_ROW
            }
            ep.store(g, m, n, rows, nc, hsum4(a00, a10, a20, a30), hsum4(a01, a11, a21, a31),
                     hsum4(a02, a12, a22, a32), hsum4(a03, a13, a23, a33));
        }
    }
#else
    // The epilogue's parameters in locals, loaded once per row pair: a store through int8_t*
    // may alias g, so GCC reloaded every field per tile (~45 instructions a row of 4).
    const int32x4_t z = vdupq_n_s32(g.out_zp), lo = vdupq_n_s32(g.act_min), hi = vdupq_n_s32(g.act_max);
    const int64_t ys_m = g.ys_m, ys_n = g.ys_n;
    int8_t* const y = g.y;
    for (; m + 2 <= m1; m += 2) {
        const int8_t* w0 = g.w + (int64_t)m * kp;
        const int8_t* w1 = w0 + kp;
        const NeonShift s0 = neon_shift(g.shift[m]), s1 = neon_shift(g.shift[m + 1]);
        const int32x4_t b0 = vdupq_n_s32(g.bias[m]), b1 = vdupq_n_s32(g.bias[m + 1]);
        const int32x4_t l0 = vdupq_n_s32(s0.l), l1 = vdupq_n_s32(s1.l), r0 = vdupq_n_s32(s0.r),
                        r1 = vdupq_n_s32(s1.r);
        const int32x4_t mu0 = vdupq_n_s32(g.mult[m]), mu1 = vdupq_n_s32(g.mult[m + 1]);
        int8_t* y0 = y + m * ys_m;
        for (int32_t n = n0; n < n1; n += 4) {
            // a tail of 1-3 columns repeats its last one (computed, not stored)
            const int32_t nc = n1 - n < 4 ? n1 - n : 4;
            const int8_t* x0 = g.x + (int64_t)n * kp;
            const int8_t* x1 = nc > 1 ? x0 + kp : x0;
            const int8_t* x2 = nc > 2 ? x1 + kp : x1;
            const int8_t* x3 = nc > 3 ? x2 + kp : x2;
            int32x4_t a00 = vdupq_n_s32(0), a01 = a00, a02 = a00, a03 = a00;
            int32x4_t a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            // Assembly: GCC addressed the 6 loads with an ADD each (43 instructions per 128
            // products); here VLD1 with write-back, 32. Per 16 K: w rows in q0-q1, x columns in
            // q2-q5, q6 the int16 pair sums; accumulators in the compiler's q registers.
            const int8_t *p0 = w0, *p1 = w1, *c0 = x0, *c1 = x1, *c2 = x2, *c3 = x3;
            int32_t steps = kp / 16;
            __asm__ volatile(
                "1:\n"
                "vld1.8 {d0-d1}, [%[p0]]!\n vld1.8 {d2-d3}, [%[p1]]!\n"
                "vld1.8 {d4-d5}, [%[c0]]!\n vld1.8 {d6-d7}, [%[c1]]!\n"
                "vld1.8 {d8-d9}, [%[c2]]!\n vld1.8 {d10-d11}, [%[c3]]!\n"
                "vmull.s8 q6, d0, d4\n vmlal.s8 q6, d1, d5\n vpadal.s16 %q[a00], q6\n"
                "vmull.s8 q6, d0, d6\n vmlal.s8 q6, d1, d7\n vpadal.s16 %q[a01], q6\n"
                "vmull.s8 q6, d0, d8\n vmlal.s8 q6, d1, d9\n vpadal.s16 %q[a02], q6\n"
                "vmull.s8 q6, d0, d10\n vmlal.s8 q6, d1, d11\n vpadal.s16 %q[a03], q6\n"
                "vmull.s8 q6, d2, d4\n vmlal.s8 q6, d3, d5\n vpadal.s16 %q[a10], q6\n"
                "vmull.s8 q6, d2, d6\n vmlal.s8 q6, d3, d7\n vpadal.s16 %q[a11], q6\n"
                "vmull.s8 q6, d2, d8\n vmlal.s8 q6, d3, d9\n vpadal.s16 %q[a12], q6\n"
                "vmull.s8 q6, d2, d10\n vmlal.s8 q6, d3, d11\n vpadal.s16 %q[a13], q6\n"
                "subs %[n], %[n], #1\n"
                "bgt 1b\n"
                : [a00] "+w"(a00), [a01] "+w"(a01), [a02] "+w"(a02), [a03] "+w"(a03), [a10] "+w"(a10),
                  [a11] "+w"(a11), [a12] "+w"(a12), [a13] "+w"(a13), [p0] "+r"(p0), [p1] "+r"(p1), [c0] "+r"(c0),
                  [c1] "+r"(c1), [c2] "+r"(c2), [c3] "+r"(c3), [n] "+r"(steps)
                :
                : "memory", "cc", "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10", "d11", "d12",
                  "d13");
            // s8::mbqm as neon_requant4 (kernels/neon_s8.h), zero point, clamp; row 0 in bytes 0-3, row 1 in 4-7
            const int32x4_t q0 = vqaddq_s32(
                vrshlq_s32(vqdmulhq_s32(vqshlq_s32(vaddq_s32(hsum4(a00, a01, a02, a03), b0), l0), mu0), r0), z);
            const int32x4_t q1 = vqaddq_s32(
                vrshlq_s32(vqdmulhq_s32(vqshlq_s32(vaddq_s32(hsum4(a10, a11, a12, a13), b1), l1), mu1), r1), z);
            const int8x8_t v = vmovn_s16(vcombine_s16(vmovn_s32(vminq_s32(vmaxq_s32(q0, lo), hi)),
                                                      vmovn_s32(vminq_s32(vmaxq_s32(q1, lo), hi))));
            int8_t* yo = y0 + n * ys_n;
            if (nc == 4 && ys_n == 1) {
                const int32_t r0b = vget_lane_s32(vreinterpret_s32_s8(v), 0), r1b = vget_lane_s32(vreinterpret_s32_s8(v), 1);
                memcpy(yo, &r0b, 4);  // (a word store: y need not be 4-byte aligned)
                memcpy(yo + ys_m, &r1b, 4);
            } else {
                int8_t t[8];
                vst1_s8(t, v);
                for (int j = 0; j < nc; ++j) {
                    yo[j * ys_n] = t[j];
                    yo[ys_m + j * ys_n] = t[4 + j];
                }
            }
        }
    }
    if (m < m1) gemm_ref(g, m, m1, n0, n1);
#endif
}

void requant_row_neon(const int32_t* acc, int32_t n, int32_t mult, int32_t shift, int32_t zp, int32_t lo, int32_t hi,
                      int8_t* y) {
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const int32x4_t a = neon_requant4(vld1q_s32(acc + i), mult, shift, zp, lo, hi);
        const int32x4_t b = neon_requant4(vld1q_s32(acc + i + 4), mult, shift, zp, lo, hi);
        vst1_s8(y + i, vmovn_s16(vcombine_s16(vmovn_s32(a), vmovn_s32(b))));  // already in [lo, hi]
    }
    for (; i + 4 <= n; i += 4) {
        int32_t r[4];
        vst1q_s32(r, neon_requant4(vld1q_s32(acc + i), mult, shift, zp, lo, hi));
        for (int k = 0; k < 4; ++k) y[i + k] = (int8_t)r[k];
    }
    if (i < n) requant_row_ref(acc + i, n - i, mult, shift, zp, lo, hi, y + i);
}

}  // namespace s8
}  // namespace sdk
#endif
