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
            // Assembly (GCC at -Os spilled the loaded columns and addressed each load with an ADD):
            // accumulators v16-v31 (row r, column c: v(16 + 4r + c)). Per 32 K the 4 columns' 32
            // bytes in one LD1 of 2 registers each (v0-v7), then per row its 32 bytes (v8-v9) and
            // 4 x 2 x (SMULL + SMLAL2 + SADALP): 106 instructions per 512 products (16 K a step:
            // 58 per 256); a last 16 K (kp is a multiple of 16) the same on single registers.
            // Out: the columns' row sums (ADDP), lanes = rows.
            int32x4_t s0, s1, s2, s3;
            const int8_t *p0 = w0, *p1 = w1, *p2 = w2, *p3 = w3, *c0 = x0, *c1 = x1, *c2 = x2, *c3 = x3;
            int32_t cnt = kp / 32;
            const int32_t tail = kp & 16;
#define SDK_S8_MAC2(op, acc, w0r, w1r, x0r, x1r)                                                              \
    "smull v10.8h, " w0r ".8b, " x0r ".8b\n smlal2 v10.8h, " w0r ".16b, " x0r ".16b\n " op " " acc ".4s, v10.8h\n"   \
    "smull v11.8h, " w1r ".8b, " x1r ".8b\n smlal2 v11.8h, " w1r ".16b, " x1r ".16b\n sadalp " acc ".4s, v11.8h\n"
#define SDK_S8_ROW32(op, p, a0, a1, a2, a3)                                                                  \
    "ld1 {v8.16b, v9.16b}, [%[" p "]], #32\n" SDK_S8_MAC2(op, a0, "v8", "v9", "v0", "v1")                     \
        SDK_S8_MAC2(op, a1, "v8", "v9", "v2", "v3") SDK_S8_MAC2(op, a2, "v8", "v9", "v4", "v5")               \
            SDK_S8_MAC2(op, a3, "v8", "v9", "v6", "v7")
#define SDK_S8_STEP32(op)                                                                                    \
    "ld1 {v0.16b, v1.16b}, [%[c0]], #32\n ld1 {v2.16b, v3.16b}, [%[c1]], #32\n"                              \
    "ld1 {v4.16b, v5.16b}, [%[c2]], #32\n ld1 {v6.16b, v7.16b}, [%[c3]], #32\n"                              \
    SDK_S8_ROW32(op, "p0", "v16", "v17", "v18", "v19") SDK_S8_ROW32(op, "p1", "v20", "v21", "v22", "v23")    \
    SDK_S8_ROW32(op, "p2", "v24", "v25", "v26", "v27") SDK_S8_ROW32(op, "p3", "v28", "v29", "v30", "v31")
#define SDK_S8_MAC1(op, acc, wr, xr) \
    "smull v10.8h, " wr ".8b, " xr ".8b\n smlal2 v10.8h, " wr ".16b, " xr ".16b\n " op " " acc ".4s, v10.8h\n"
#define SDK_S8_ROW16(op, p, a0, a1, a2, a3)                                                                  \
    "ld1 {v8.16b}, [%[" p "]], #16\n" SDK_S8_MAC1(op, a0, "v8", "v0") SDK_S8_MAC1(op, a1, "v8", "v2")         \
        SDK_S8_MAC1(op, a2, "v8", "v4") SDK_S8_MAC1(op, a3, "v8", "v6")
#define SDK_S8_STEP16(op)                                                                                    \
    "ld1 {v0.16b}, [%[c0]]\n ld1 {v2.16b}, [%[c1]]\n ld1 {v4.16b}, [%[c2]]\n ld1 {v6.16b}, [%[c3]]\n"         \
    SDK_S8_ROW16(op, "p0", "v16", "v17", "v18", "v19") SDK_S8_ROW16(op, "p1", "v20", "v21", "v22", "v23")    \
    SDK_S8_ROW16(op, "p2", "v24", "v25", "v26", "v27") SDK_S8_ROW16(op, "p3", "v28", "v29", "v30", "v31")
            // The first step starts the accumulators with SADDLP (no 16 MOVIs per tile).
            __asm__ volatile(
                "cbz %w[n], 4f\n"
                SDK_S8_STEP32("saddlp")
                "subs %w[n], %w[n], #1\n"
                "beq 2f\n"
                "1:\n"
                SDK_S8_STEP32("sadalp")
                "subs %w[n], %w[n], #1\n"
                "bgt 1b\n"
                "2:\n"
                "cbz %w[t], 3f\n"
                SDK_S8_STEP16("sadalp")
                "b 3f\n"
                "4:\n"  // kp == 16
                SDK_S8_STEP16("saddlp")
                "3:\n"
                "addp v10.4s, v16.4s, v20.4s\n addp v11.4s, v24.4s, v28.4s\n addp %[s0].4s, v10.4s, v11.4s\n"
                "addp v10.4s, v17.4s, v21.4s\n addp v11.4s, v25.4s, v29.4s\n addp %[s1].4s, v10.4s, v11.4s\n"
                "addp v10.4s, v18.4s, v22.4s\n addp v11.4s, v26.4s, v30.4s\n addp %[s2].4s, v10.4s, v11.4s\n"
                "addp v10.4s, v19.4s, v23.4s\n addp v11.4s, v27.4s, v31.4s\n addp %[s3].4s, v10.4s, v11.4s\n"
                : [s0] "=w"(s0), [s1] "=w"(s1), [s2] "=w"(s2), [s3] "=w"(s3), [p0] "+r"(p0), [p1] "+r"(p1),
                  [p2] "+r"(p2), [p3] "+r"(p3), [c0] "+r"(c0), [c1] "+r"(c1), [c2] "+r"(c2), [c3] "+r"(c3),
                  [n] "+r"(cnt)
                : [t] "r"(tail)
                : "memory", "cc", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v16",
                  "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30",
                  "v31");
#undef SDK_S8_STEP16
#undef SDK_S8_ROW16
#undef SDK_S8_MAC1
#undef SDK_S8_STEP32
#undef SDK_S8_ROW32
#undef SDK_S8_MAC2
            ep.store(g, m, n, rows, nc, s0, s1, s2, s3);
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
            // products); here VLD1 with write-back. Per 32 K: the 2 w rows' 32 bytes in q0-q1 and
            // q2-q3 (one VLD1 of 4 d registers each), then per column its 32 bytes in q4-q5 and
            // 2 x 2 x (VMULL + VMLAL + VPADAL), q6/q7 the int16 pair sums: 56 instructions per
            // 256 products (16 K a step: 32 per 128); a last 16 K the same on single q registers.
            // n counts 16-K steps: pairs first, then one.
            const int8_t *p0 = w0, *p1 = w1, *c0 = x0, *c1 = x1, *c2 = x2, *c3 = x3;
            int32_t steps = kp / 16;
#define SDK_V7_COL32(c, a0, a1)                                                              \
    "vld1.8 {d8-d11}, [%[" c "]]!\n"                                                        \
    "vmull.s8 q6, d0, d8\n vmlal.s8 q6, d1, d9\n vpadal.s16 %q[" a0 "], q6\n"                 \
    "vmull.s8 q7, d2, d10\n vmlal.s8 q7, d3, d11\n vpadal.s16 %q[" a0 "], q7\n"               \
    "vmull.s8 q6, d4, d8\n vmlal.s8 q6, d5, d9\n vpadal.s16 %q[" a1 "], q6\n"                 \
    "vmull.s8 q7, d6, d10\n vmlal.s8 q7, d7, d11\n vpadal.s16 %q[" a1 "], q7\n"
            __asm__ volatile(
                "subs %[n], %[n], #2\n"
                "blt 2f\n"
                "1:\n"
                "vld1.8 {d0-d3}, [%[p0]]!\n vld1.8 {d4-d7}, [%[p1]]!\n"
                SDK_V7_COL32("c0", "a00", "a10") SDK_V7_COL32("c1", "a01", "a11")
                SDK_V7_COL32("c2", "a02", "a12") SDK_V7_COL32("c3", "a03", "a13")
                "subs %[n], %[n], #2\n"
                "bge 1b\n"
                "2:\n"
                "adds %[n], %[n], #2\n"
                "beq 3f\n"
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
                "3:\n"
                : [a00] "+w"(a00), [a01] "+w"(a01), [a02] "+w"(a02), [a03] "+w"(a03), [a10] "+w"(a10),
                  [a11] "+w"(a11), [a12] "+w"(a12), [a13] "+w"(a13), [p0] "+r"(p0), [p1] "+r"(p1), [c0] "+r"(c0),
                  [c1] "+r"(c1), [c2] "+r"(c2), [c3] "+r"(c3), [n] "+r"(steps)
                :
                : "memory", "cc", "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10", "d11", "d12",
                  "d13", "d14", "d15");
#undef SDK_V7_COL32
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
