// NEON int8 pixel-lane GEMM for Conv (kernels/neon/conv_s8.h, gemm_pl_neon): AArch64, then ARMv7.
//
// The dot-product GEMM (kernels/neon/common_s8.cpp) sums each output across K in the lanes, so
// every 4x4 tile ends in 12 ADDPs, a requantization of rows as lanes and a TBL back to rows:
// ~85 instructions per 16 outputs besides its K loop, as much as the K loop itself when K <= 32
// (squeezenet's stem and expand 1x1s). Here the lanes are pixels of one output channel: a
// tile is 4 channels x 16 pixels (16 accumulators), the im2col holds pairs of K per pixel
// ([kp / 2][pixels][2]: byte 2p + i of pair row j is tap 2j + i of pixel p), and a weight pair
// replicated over the lanes (LD4R of 4 halfwords: 8 K of one channel in 4 registers) makes
// SMULL + SMLAL + SADALP sum 4 products per pixel lane, 16 products per 3 instructions as the
// dot GEMM. The epilogue then needs no horizontal sums: per channel 16 contiguous outputs
// requantized with the channel's multiplier as a lane (SQDMULH by element) and one store.
#include "kernels/neon/conv_s8.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>
#include <string.h>

#include "kernels/neon_s8.h"

namespace sdk {
namespace s8 {
#if defined(__aarch64__)
namespace {

// s8::mbqm of 16 accumulators of row R (neon_requant4's arithmetic), zero point and clamp on
// int16 lanes after SQXTN (exact for int8 bounds, as Rows4::zc): 16 int8.
template <int R>
__attribute__((always_inline)) inline int8x16_t requant16(const Rows4& p, int32x4_t a0, int32x4_t a1, int32x4_t a2,
                                                          int32x4_t a3) {
    const int32x4_t l = vdupq_laneq_s32(p.sl, R), r = vdupq_laneq_s32(p.sr, R);
    a0 = vrshlq_s32(vqdmulhq_laneq_s32(vqshlq_s32(a0, l), p.mu, R), r);
    a1 = vrshlq_s32(vqdmulhq_laneq_s32(vqshlq_s32(a1, l), p.mu, R), r);
    a2 = vrshlq_s32(vqdmulhq_laneq_s32(vqshlq_s32(a2, l), p.mu, R), r);
    a3 = vrshlq_s32(vqdmulhq_laneq_s32(vqshlq_s32(a3, l), p.mu, R), r);
    int16x8_t h0 = vqaddq_s16(vqmovn_high_s32(vqmovn_s32(a0), a1), p.z);
    int16x8_t h1 = vqaddq_s16(vqmovn_high_s32(vqmovn_s32(a2), a3), p.z);
    h0 = vminq_s16(vmaxq_s16(h0, p.lo), p.hi);
    h1 = vminq_s16(vmaxq_s16(h1, p.lo), p.hi);
    return vmovn_high_s16(vmovn_s16(h0), h1);
}

__attribute__((always_inline)) inline void store16(int8_t* y, int8x16_t v, int32_t nc) {
    if (nc >= 16) {
        vst1q_s8(y, v);
    } else {
        int8_t t[16];
        vst1q_s8(t, v);
        memcpy(y, t, (size_t)nc);
    }
}

}  // namespace

void gemm_pl_neon(const Gemm& g, int32_t m0, int32_t m1, int32_t xs) {
    const int32_t kp = g.kp, N = g.N;
    const int64_t ys_m = g.ys_m;
    int8_t* const y = g.y;
    for (int32_t m = m0; m < m1; m += 4) {
        // a tail of 1-3 rows repeats its last one (computed, not stored)
        const int32_t rows = m1 - m < 4 ? m1 - m : 4;
        const int8_t* w0 = g.w + (int64_t)m * kp;
        const int8_t* w1 = rows > 1 ? w0 + kp : w0;
        const int8_t* w2 = rows > 2 ? w1 + kp : w1;
        const int8_t* w3 = rows > 3 ? w2 + kp : w2;
        const Rows4 p(g, m, rows);  // the 4 rows' requantization parameters as lanes
        int8_t* y0 = y + m * ys_m;
        for (int32_t n = 0; n < N; n += 16) {
            const int32_t nc = N - n;  // the lanes past N are computed, not stored
            int32x4_t a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33;
            const int8_t *x = g.x + 2 * n, *p0 = w0, *p1 = w1, *p2 = w2, *p3 = w3;
            int32_t cnt = kp / 4;  // 4-K halves: pairs of them a step, then one (kp % 8 == 4)
            // Per 8 K: the 16 pixels' 4 pair rows (v0-v7: pair j in v(2j) for pixels 0-7, v(2j + 1)
            // for 8-15), then per row its 8 K as 4 replicated pairs (LD4R: v8-v11) and for each 4
            // pixels SMULL + SMLAL (pairs 0 and 1) + SADALP, the same for pairs 2 and 3: 106
            // instructions per 512 products.
#define SDK_PL_LO(xa, xb, xc, xd, acc)                                                                         \
    "smull v12.8h, " xa ".8b, v8.8b\n smlal v12.8h, " xb ".8b, v9.8b\n sadalp %[" acc "].4s, v12.8h\n"         \
    "smull v13.8h, " xc ".8b, v10.8b\n smlal v13.8h, " xd ".8b, v11.8b\n sadalp %[" acc "].4s, v13.8h\n"
#define SDK_PL_HI(xa, xb, xc, xd, acc)                                                                         \
    "smull2 v12.8h, " xa ".16b, v8.16b\n smlal2 v12.8h, " xb ".16b, v9.16b\n sadalp %[" acc "].4s, v12.8h\n"   \
    "smull2 v13.8h, " xc ".16b, v10.16b\n smlal2 v13.8h, " xd ".16b, v11.16b\n sadalp %[" acc "].4s, v13.8h\n"
#define SDK_PL_ROW(p, a0, a1, a2, a3)                                                                          \
    "ld4r {v8.8h, v9.8h, v10.8h, v11.8h}, [%[" p "]], #8\n"                                                   \
    SDK_PL_LO("v0", "v2", "v4", "v6", a0) SDK_PL_HI("v0", "v2", "v4", "v6", a1)                              \
    SDK_PL_LO("v1", "v3", "v5", "v7", a2) SDK_PL_HI("v1", "v3", "v5", "v7", a3)
#define SDK_PL_DUP(a0, a1, a2, a3, i)                                                                      \
    "dup %[" a0 "].4s, %[b].s[" i "]\n mov %[" a1 "].16b, %[" a0 "].16b\n"                                  \
    "mov %[" a2 "].16b, %[" a0 "].16b\n mov %[" a3 "].16b, %[" a0 "].16b\n"
            // A last 4 K: the 2 pair rows, the row's 2 replicated pairs (LD2R: v8-v9), SMULL + SMLAL +
            // SADALP per 4 pixels (squeezenet1_1's stem: K = 27 takes 28, not 32; resnet18's 147, 148).
#define SDK_PL_ROW4(p, a0, a1, a2, a3)                                                                         \
    "ld2r {v8.8h, v9.8h}, [%[" p "]], #4\n"                                                                   \
    "smull v12.8h, v0.8b, v8.8b\n smlal v12.8h, v2.8b, v9.8b\n sadalp %[" a0 "].4s, v12.8h\n"                 \
    "smull2 v13.8h, v0.16b, v8.16b\n smlal2 v13.8h, v2.16b, v9.16b\n sadalp %[" a1 "].4s, v13.8h\n"           \
    "smull v12.8h, v1.8b, v8.8b\n smlal v12.8h, v3.8b, v9.8b\n sadalp %[" a2 "].4s, v12.8h\n"                 \
    "smull2 v13.8h, v1.16b, v8.16b\n smlal2 v13.8h, v3.16b, v9.16b\n sadalp %[" a3 "].4s, v13.8h\n"
            // (the accumulators start at the rows' bias; outputs only: in-out operands count twice
            // against asm's limit of 30)
            __asm__ volatile(
                SDK_PL_DUP("a00", "a01", "a02", "a03", "0") SDK_PL_DUP("a10", "a11", "a12", "a13", "1")
                SDK_PL_DUP("a20", "a21", "a22", "a23", "2") SDK_PL_DUP("a30", "a31", "a32", "a33", "3")
                "subs %w[n], %w[n], #2\n"
                "blt 2f\n"
                "1:\n"
                "ld1 {v0.16b, v1.16b}, [%[x]], %[xs]\n ld1 {v2.16b, v3.16b}, [%[x]], %[xs]\n"
                "ld1 {v4.16b, v5.16b}, [%[x]], %[xs]\n ld1 {v6.16b, v7.16b}, [%[x]], %[xs]\n"
                SDK_PL_ROW("p0", "a00", "a01", "a02", "a03") SDK_PL_ROW("p1", "a10", "a11", "a12", "a13")
                SDK_PL_ROW("p2", "a20", "a21", "a22", "a23") SDK_PL_ROW("p3", "a30", "a31", "a32", "a33")
                "subs %w[n], %w[n], #2\n"
                "bge 1b\n"
                "2:\n"
                "adds %w[n], %w[n], #2\n"
                "beq 3f\n"
                "ld1 {v0.16b, v1.16b}, [%[x]], %[xs]\n ld1 {v2.16b, v3.16b}, [%[x]], %[xs]\n"
                SDK_PL_ROW4("p0", "a00", "a01", "a02", "a03") SDK_PL_ROW4("p1", "a10", "a11", "a12", "a13")
                SDK_PL_ROW4("p2", "a20", "a21", "a22", "a23") SDK_PL_ROW4("p3", "a30", "a31", "a32", "a33")
                "3:\n"
                : [a00] "=&w"(a00), [a01] "=&w"(a01), [a02] "=&w"(a02), [a03] "=&w"(a03), [a10] "=&w"(a10),
                  [a11] "=&w"(a11), [a12] "=&w"(a12), [a13] "=&w"(a13), [a20] "=&w"(a20), [a21] "=&w"(a21),
                  [a22] "=&w"(a22), [a23] "=&w"(a23), [a30] "=&w"(a30), [a31] "=&w"(a31), [a32] "=&w"(a32),
                  [a33] "=&w"(a33), [x] "+r"(x), [p0] "+r"(p0), [p1] "+r"(p1), [p2] "+r"(p2), [p3] "+r"(p3),
                  [n] "+r"(cnt)
                : [xs] "r"((int64_t)xs), [b] "w"(p.b)
                : "memory", "cc", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12",
                  "v13");
#undef SDK_PL_ROW
#undef SDK_PL_ROW4
#undef SDK_PL_DUP
#undef SDK_PL_HI
#undef SDK_PL_LO
            // The requantization (requant16's arithmetic) in assembly too: GCC at -Os spilled the
            // accumulators and reloaded the parameters per row (~40 instructions a row, here 26).
            // (each row's bytes replace its first accumulator: in-out operands, as 26 registers of
            // operands and 6 of scratch fill the 32)
#define SDK_PL_RQ(R, a0, a1, a2, a3, q)                                                                            \
    "dup v8.4s, %[sl].s[" R "]\n dup v9.4s, %[sr].s[" R "]\n"                                                      \
    "sqshl v12.4s, %[" a0 "].4s, v8.4s\n sqshl v13.4s, %[" a1 "].4s, v8.4s\n"                                      \
    "sqshl v14.4s, %[" a2 "].4s, v8.4s\n sqshl v15.4s, %[" a3 "].4s, v8.4s\n"                                      \
    "sqdmulh v12.4s, v12.4s, %[mu].s[" R "]\n sqdmulh v13.4s, v13.4s, %[mu].s[" R "]\n"                            \
    "sqdmulh v14.4s, v14.4s, %[mu].s[" R "]\n sqdmulh v15.4s, v15.4s, %[mu].s[" R "]\n"                            \
    "srshl v12.4s, v12.4s, v9.4s\n srshl v13.4s, v13.4s, v9.4s\n srshl v14.4s, v14.4s, v9.4s\n"                   \
    "srshl v15.4s, v15.4s, v9.4s\n"                                                                               \
    "sqxtn v12.4h, v12.4s\n sqxtn2 v12.8h, v13.4s\n sqxtn v14.4h, v14.4s\n sqxtn2 v14.8h, v15.4s\n"               \
    "sqadd v12.8h, v12.8h, %[z].8h\n sqadd v14.8h, v14.8h, %[z].8h\n"                                            \
    "smax v12.8h, v12.8h, %[lo].8h\n smax v14.8h, v14.8h, %[lo].8h\n"                                            \
    "smin v12.8h, v12.8h, %[hi].8h\n smin v14.8h, v14.8h, %[hi].8h\n"                                            \
    "xtn %[" q "].8b, v12.8h\n xtn2 %[" q "].16b, v14.8h\n"
            __asm__(SDK_PL_RQ("0", "a00", "a01", "a02", "a03", "a00") SDK_PL_RQ("1", "a10", "a11", "a12", "a13", "a10")
                    SDK_PL_RQ("2", "a20", "a21", "a22", "a23", "a20") SDK_PL_RQ("3", "a30", "a31", "a32", "a33", "a30")
                    : [a00] "+w"(a00), [a10] "+w"(a10), [a20] "+w"(a20), [a30] "+w"(a30)
                    : [a01] "w"(a01), [a02] "w"(a02), [a03] "w"(a03), [a11] "w"(a11), [a12] "w"(a12),
                      [a13] "w"(a13), [a21] "w"(a21), [a22] "w"(a22), [a23] "w"(a23), [a31] "w"(a31),
                      [a32] "w"(a32), [a33] "w"(a33), [sl] "w"(p.sl), [sr] "w"(p.sr), [mu] "w"(p.mu), [z] "w"(p.z),
                      [lo] "w"(p.lo), [hi] "w"(p.hi)
                    : "v8", "v9", "v12", "v13", "v14", "v15");
#undef SDK_PL_RQ
            if (nc >= 16 && rows == 4) {
                int8_t* yo = y0 + n;
                vst1q_s8(yo, vreinterpretq_s8_s32(a00));
                vst1q_s8(yo + ys_m, vreinterpretq_s8_s32(a10));
                vst1q_s8(yo + 2 * ys_m, vreinterpretq_s8_s32(a20));
                vst1q_s8(yo + 3 * ys_m, vreinterpretq_s8_s32(a30));
            } else {  // a tile's last pixels or rows (one copy of the partial stores: code size)
                const int32x4_t q[4] = {a00, a10, a20, a30};
                for (int32_t r = 0; r < rows; ++r) store16(y0 + r * ys_m + n, vreinterpretq_s8_s32(q[r]), nc);
            }
        }
    }
}

#else  // ARMv7
// ARMv7 (16 q registers): a tile is 4 channels x 8 pixels (accumulators q8-q15), per 8 K the 8
// pixels' 4 pair rows (q0-q3) and a channel's 4 replicated weight pairs (VLD4.16 all lanes:
// d8-d11); VMULL + VMLAL + VPADAL per 4 pixels, 56 instructions per 256 products (the 2x4 dot
// GEMM's epilogue summed across lanes per row pair, then requantized 32-bit lanes). The
// requantization (the AArch64 one's arithmetic, by scalar for the multiplier) and the stores in
// the same asm: 15 instructions per 8 outputs.
void gemm_pl_neon(const Gemm& g, int32_t m0, int32_t m1, int32_t xs) {
    const int32_t kp = g.kp, N = g.N;
    const int32_t ys_m = (int32_t)g.ys_m;
    struct Params {  // the 4 rows' parameters as lanes, in the asm's load order
        int32_t b[4], sl[4], sr[4], mu[4];
        int16_t z[8], lo[8], hi[8];
    } P;
    for (int i = 0; i < 8; ++i) P.z[i] = (int16_t)g.out_zp, P.lo[i] = (int16_t)g.act_min, P.hi[i] = (int16_t)g.act_max;
    for (int32_t m = m0; m < m1; m += 4) {
        // a tail of 1-3 rows repeats its last one (computed, not stored)
        const int32_t rows = m1 - m < 4 ? m1 - m : 4;
        const int8_t* w0 = g.w + (int64_t)m * kp;
        const int8_t* w1 = rows > 1 ? w0 + kp : w0;
        const int8_t* w2 = rows > 2 ? w1 + kp : w1;
        const int8_t* w3 = rows > 3 ? w2 + kp : w2;
        neon_row_params4(g, m, rows, P.b, P.mu, P.sl, P.sr);
        int8_t* y0 = g.y + (int64_t)m * g.ys_m;
        for (int32_t n = 0; n < N; n += 8) {
            const int32_t nc = N - n;  // the lanes past N are computed, not stored
            alignas(8) int8_t t[32];
            const bool whole = nc >= 8 && rows == 4;
            int8_t* yo = whole ? y0 + n : t;
            const int32_t ys = whole ? ys_m : 8;
            const int8_t *x = g.x + 2 * n, *p0 = w0, *p1 = w1, *p2 = w2, *p3 = w3;
            const int32_t* pp = P.b;
            int32_t cnt = kp / 4;  // 4-K halves: pairs of them a step, then one (kp % 8 == 4)
#define SDK_PL_ROW(p, qa, qb)                                                                  \
    "vld4.16 {d8[], d9[], d10[], d11[]}, [%[" p "]]!\n"                                        \
    "vmull.s8 q6, d0, d8\n vmlal.s8 q6, d2, d9\n vpadal.s16 " qa ", q6\n"                     \
    "vmull.s8 q7, d4, d10\n vmlal.s8 q7, d6, d11\n vpadal.s16 " qa ", q7\n"                   \
    "vmull.s8 q6, d1, d8\n vmlal.s8 q6, d3, d9\n vpadal.s16 " qb ", q6\n"                     \
    "vmull.s8 q7, d5, d10\n vmlal.s8 q7, d7, d11\n vpadal.s16 " qb ", q7\n"
#define SDK_PL_ROW4(p, qa, qb)                                                                 \
    "vld2.16 {d8[], d9[]}, [%[" p "]]!\n"                                                      \
    "vmull.s8 q6, d0, d8\n vmlal.s8 q6, d2, d9\n vpadal.s16 " qa ", q6\n"                     \
    "vmull.s8 q7, d1, d8\n vmlal.s8 q7, d3, d9\n vpadal.s16 " qb ", q7\n"
            // per row: shift left (sl: d0-d1), multiplier by scalar (mu: d4-d5), rounding shift
            // right (sr: d2-d3); narrow, zero point (q3), clamp (q4, q5), narrow, store
#define SDK_PL_RQ(qa, qb, dl, lane, dm, dr, dout)                                               \
    "vdup.32 q6, " dl "[" lane "]\n vqshl.s32 " qa ", " qa ", q6\n vqshl.s32 " qb ", " qb ", q6\n" \
    "vqdmulh.s32 " qa ", " qa ", " dm "[" lane "]\n vqdmulh.s32 " qb ", " qb ", " dm "[" lane "]\n" \
    "vdup.32 q6, " dr "[" lane "]\n vrshl.s32 " qa ", " qa ", q6\n vrshl.s32 " qb ", " qb ", q6\n" \
    "vqmovn.s32 d14, " qa "\n vqmovn.s32 d15, " qb "\n"                                       \
    "vqadd.s16 q7, q7, q3\n vmax.s16 q7, q7, q4\n vmin.s16 q7, q7, q5\n"                      \
    "vmovn.i16 " dout ", q7\n vst1.8 {" dout "}, [%[yo]], %[ys]\n"
            __asm__ volatile(
                "vld1.32 {d0-d1}, [%[pp]]!\n"  // the accumulators start at the rows' bias
                "vdup.32 q8, d0[0]\n vmov q9, q8\n vdup.32 q10, d0[1]\n vmov q11, q10\n"
                "vdup.32 q12, d1[0]\n vmov q13, q12\n vdup.32 q14, d1[1]\n vmov q15, q14\n"
                "subs %[n], %[n], #2\n"
                "blt 2f\n"
                "1:\n"
                "vld1.8 {d0-d1}, [%[x]], %[xs]\n vld1.8 {d2-d3}, [%[x]], %[xs]\n"
                "vld1.8 {d4-d5}, [%[x]], %[xs]\n vld1.8 {d6-d7}, [%[x]], %[xs]\n"
                SDK_PL_ROW("p0", "q8", "q9") SDK_PL_ROW("p1", "q10", "q11")
                SDK_PL_ROW("p2", "q12", "q13") SDK_PL_ROW("p3", "q14", "q15")
                "subs %[n], %[n], #2\n"
                "bge 1b\n"
                "2:\n"
                "adds %[n], %[n], #2\n"
                "beq 3f\n"
                "vld1.8 {d0-d1}, [%[x]], %[xs]\n vld1.8 {d2-d3}, [%[x]], %[xs]\n"
                SDK_PL_ROW4("p0", "q8", "q9") SDK_PL_ROW4("p1", "q10", "q11")
                SDK_PL_ROW4("p2", "q12", "q13") SDK_PL_ROW4("p3", "q14", "q15")
                "3:\n"
                "vld1.32 {d0-d3}, [%[pp]]!\n vld1.32 {d4-d5}, [%[pp]]!\n"
                "vld1.16 {d6-d7}, [%[pp]]!\n vld1.16 {d8-d11}, [%[pp]]\n"
                SDK_PL_RQ("q8", "q9", "d0", "0", "d4", "d2", "d16")
                SDK_PL_RQ("q10", "q11", "d0", "1", "d4", "d2", "d20")
                SDK_PL_RQ("q12", "q13", "d1", "0", "d5", "d3", "d24")
                SDK_PL_RQ("q14", "q15", "d1", "1", "d5", "d3", "d28")
                : [x] "+r"(x), [p0] "+r"(p0), [p1] "+r"(p1), [p2] "+r"(p2), [p3] "+r"(p3), [n] "+r"(cnt),
                  [pp] "+r"(pp), [yo] "+r"(yo)
                : [xs] "r"(xs), [ys] "r"(ys)
                : "memory", "cc", "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10", "d11", "d12",
                  "d13", "d14", "d15", "d16", "d17", "d18", "d19", "d20", "d21", "d22", "d23", "d24", "d25", "d26",
                  "d27", "d28", "d29", "d30", "d31");
#undef SDK_PL_RQ
#undef SDK_PL_ROW4
#undef SDK_PL_ROW
            if (!whole)  // a tile's last pixels or rows
                for (int32_t r = 0; r < rows; ++r) memcpy(y0 + r * g.ys_m + n, t + 8 * r, (size_t)(nc < 8 ? nc : 8));
        }
    }
}
#endif

}  // namespace s8
}  // namespace sdk
#endif
