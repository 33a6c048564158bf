// NEON int8 3x3 stride-1 convolution by Winograd F(2x2, 3x3) in exact integer arithmetic
// (ARMv7 and AArch64; see kernels/neon/conv_s8.h, NeonWino). Chosen by kernels/ref/conv_s8.cpp
// with the plain NEON GEMM (the SDOT tier's direct GEMM does 16 products an instruction
// and stays faster): the direct int8 GEMM costs 9 products per output and input channel
// (SMULL + SMLAL2 + SADALP: 16 products in 3 instructions); Winograd 4 (int16 x int16 by
// element, SMLAL/SMLAL2: 4 products an instruction), about 1.8x less work on ResNet's and
// SqueezeNet's 3x3s.
//
// Exactness. With G' = 2G the weight transform U = G' g G'^T is an integer (|U| <= 9 * 128),
// so is V = B^T d B of the raw int8 input (|V| <= 4 * 128), and A^T (sum_c U . V) A =
// 4 * sum_taps w * x exactly (the int32 sums may wrap: integer addition and multiplication
// are exact modulo 2^32). The true result fits int32 when 4 * 128 * sum |w| < 2^31 (checked
// per output channel at prepare, wino_s8_fits), so the wrapped value is it, and an arithmetic
// shift by 2 is exact: bias + sum_taps w * x, the ref GEMM's accumulator (the zero point is
// folded into bias, padding holds the zero point), then the same requantization.
#include "kernels/neon/conv_s8.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>
#include <string.h>

#include "kernels/acc_s8.h"
#include "kernels/neon_s8.h"
#include "kernels/unroll.h"

// GCC at -Os spills the 16 accumulators of the AArch64 tile: the GEMM loop is optimized
// for speed whatever the build type (as kernels/neon/common_f32.cpp's SDK_NEON_HOT).
#if defined(__GNUC__) && !defined(__clang__)
#define SDK_WINO_HOT __attribute__((optimize("O2", "no-schedule-insns")))
#else
#define SDK_WINO_HOT
#endif

// ARMv7's 16 q registers: the F(4x4) transforms inlined into wino_s8_groups spill its
// loop state (1.1 M more instructions on squeezenet1_1); AArch64 inlines them.
#if defined(__aarch64__)
#define SDK_WINO_OUTLINE
#else
#define SDK_WINO_OUTLINE __attribute__((noinline))
#endif

namespace sdk {
namespace s8 {
namespace {

constexpr int kOB = kWinoOB;  // output channels per GEMM tile
constexpr int kLanes = 8;     // tiles per group: two blocks of 4 of one tile row each

// The nxi (16 or 36) products of one group and one block of kOB output channels:
// M[xi][o][8 lanes] = sum_c U[xi][c][o] * V[xi][c][lane], over Cp (a multiple of 4) channels.
// half: lanes 0-3 only (a group of one block; lanes 4-7 of M are then 0).
SDK_WINO_HOT void gemm_xi(const int16_t* U, const int16_t* V, int32_t Cp, int32_t* M, int nxi, bool half) {
    for (int xi = 0; xi < nxi; ++xi) {
        const int16_t* u = U + (int64_t)xi * Cp * kOB;
        const int16_t* v = V + (int64_t)xi * Cp * kLanes;
        int32_t* m = M + xi * kOB * kLanes;
#if defined(__aarch64__)
        // Assembly (the intrinsics' loop: 68 instructions per 4 channels with 16 MOVs to start
        // each xi): 8 channels a loop trip (134 per 512 products), the first channel's SMULL
        // starting the accumulators v16-v31 (output channel o: lanes 0-3 in v(16 + 2o), 4-7 in
        // v(17 + 2o), stored in that order: M's layout). 4 channels a step: U's and V's 64 bytes
        // each in one LD1 of 4 registers. half: lanes 0-3 only, v17, v19, ... stay 0.
        int32_t n = Cp / 4 - 1;  // steps after the first
        int32_t* mm = m;
// One K of the GEMM (x: V's register, u: U's): lane i of u times x into output channel i's
// accumulators v(16 + 2i) (lanes 0-3, OP) and v(17 + 2i) (lanes 4-7, OP2); the half tile
// only the first.
#define SDK_WINO_LANE(OP, OP2, x, u, i, a, b) \
    OP " v" a ".4s, " x ".4h, " u ".h[" i "]\n" OP2 " v" b ".4s, " x ".8h, " u ".h[" i "]\n"
#define SDK_WINO_K(OP, OP2, x, u)                                                             \
    SDK_WINO_LANE(OP, OP2, x, u, "0", "16", "17") SDK_WINO_LANE(OP, OP2, x, u, "1", "18", "19") \
    SDK_WINO_LANE(OP, OP2, x, u, "2", "20", "21") SDK_WINO_LANE(OP, OP2, x, u, "3", "22", "23") \
    SDK_WINO_LANE(OP, OP2, x, u, "4", "24", "25") SDK_WINO_LANE(OP, OP2, x, u, "5", "26", "27") \
    SDK_WINO_LANE(OP, OP2, x, u, "6", "28", "29") SDK_WINO_LANE(OP, OP2, x, u, "7", "30", "31")
#define SDK_WINO_HLANE(x, u, i, a) "smlal v" a ".4s, " x ".4h, " u ".h[" i "]\n"
#define SDK_WINO_HK(x, u)                                                                         \
    SDK_WINO_HLANE(x, u, "0", "16") SDK_WINO_HLANE(x, u, "1", "18") SDK_WINO_HLANE(x, u, "2", "20") \
    SDK_WINO_HLANE(x, u, "3", "22") SDK_WINO_HLANE(x, u, "4", "24") SDK_WINO_HLANE(x, u, "5", "26") \
    SDK_WINO_HLANE(x, u, "6", "28") SDK_WINO_HLANE(x, u, "7", "30")
#define SDK_WINO_LOAD \
    "ld1 {v0.8h, v1.8h, v2.8h, v3.8h}, [%[u]], #64\n ld1 {v4.8h, v5.8h, v6.8h, v7.8h}, [%[v]], #64\n"
#define SDK_WINO_FULL_FIRST                                                                          \
    SDK_WINO_LOAD SDK_WINO_K("smull", "smull2", "v4", "v0") SDK_WINO_K("smlal", "smlal2", "v5", "v1") \
        SDK_WINO_K("smlal", "smlal2", "v6", "v2") SDK_WINO_K("smlal", "smlal2", "v7", "v3")
#define SDK_WINO_FULL_STEP                                                                           \
    SDK_WINO_LOAD SDK_WINO_K("smlal", "smlal2", "v4", "v0") SDK_WINO_K("smlal", "smlal2", "v5", "v1") \
        SDK_WINO_K("smlal", "smlal2", "v6", "v2") SDK_WINO_K("smlal", "smlal2", "v7", "v3")
#define SDK_WINO_HALF_STEP \
    SDK_WINO_LOAD SDK_WINO_HK("v4", "v0") SDK_WINO_HK("v5", "v1") SDK_WINO_HK("v6", "v2") SDK_WINO_HK("v7", "v3")
#define SDK_WINO_ASM(FIRST, STEP, INIT)                                                                 \
        __asm__ volatile(INIT FIRST                                                                     \
                         "cbz %w[n], 3f\n"                                                              \
                         "tbz %w[n], #0, 1f\n"                                                          \
                         "add %w[n], %w[n], #1\n"                                                       \
                         "b 2f\n" /* an odd count enters at the second step (code size) */             \
                         "1:\n" STEP "2:\n" STEP                                                       \
                         "subs %w[n], %w[n], #2\n"                                                      \
                         "bne 1b\n"                                                                     \
                         "3:\n"                                                                         \
                         "st1 {v16.4s, v17.4s, v18.4s, v19.4s}, [%[m]], #64\n"                          \
                         "st1 {v20.4s, v21.4s, v22.4s, v23.4s}, [%[m]], #64\n"                          \
                         "st1 {v24.4s, v25.4s, v26.4s, v27.4s}, [%[m]], #64\n"                          \
                         "st1 {v28.4s, v29.4s, v30.4s, v31.4s}, [%[m]], #64\n"                          \
                         : [u] "+r"(u), [v] "+r"(v), [n] "+r"(n), [m] "+r"(mm)                           \
                         :                                                                               \
                         : "memory", "cc", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v17", \
                           "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28",   \
                           "v29", "v30", "v31")
        if (half) {
            // (no SMULL step: its 8 MOVs a xi are nothing next to the 7x7 layers' 128 steps; code size)
            ++n;
            SDK_WINO_ASM("", SDK_WINO_HALF_STEP,
                         "movi v16.4s, #0\n movi v17.4s, #0\n movi v18.4s, #0\n movi v19.4s, #0\n"
                         "movi v20.4s, #0\n movi v21.4s, #0\n movi v22.4s, #0\n movi v23.4s, #0\n"
                         "movi v24.4s, #0\n movi v25.4s, #0\n movi v26.4s, #0\n movi v27.4s, #0\n"
                         "movi v28.4s, #0\n movi v29.4s, #0\n movi v30.4s, #0\n movi v31.4s, #0\n");
        } else {
            SDK_WINO_ASM(SDK_WINO_FULL_FIRST, SDK_WINO_FULL_STEP, "");
        }
#undef SDK_WINO_ASM
#undef SDK_WINO_FULL_FIRST
#undef SDK_WINO_FULL_STEP
#undef SDK_WINO_HALF_STEP
#undef SDK_WINO_LOAD
#undef SDK_WINO_HK
#undef SDK_WINO_HLANE
#undef SDK_WINO_K
#undef SDK_WINO_LANE
#else
        // ARMv7, assembly: GCC addressed the unrolled loads with an ADD each (VLD1 has no
        // offset form), 48 instructions per 32 VMLAL; here 38 per 4 channels. Per 2 channels: U's 2 x 4
        // output channels in d0-d1, V's 2 x 8 lanes in d2-d5, accumulators q8-q15 (output
        // channel o: lanes 0-3 in q(8 + 2o), 4-7 in q(9 + 2o)), stored in that order.
        // half: the same without the lanes 4-7 (q9, q11, q13, q15 stay 0).
        int32_t n = Cp / 4;
        int32_t* mm = m;
#define SDK_WINO_ASM(STEP)                                                                                   \
        __asm__ volatile(                                                                                    \
            "vmov.i32 q8, #0\n vmov.i32 q9, #0\n vmov.i32 q10, #0\n vmov.i32 q11, #0\n"                      \
            "vmov.i32 q12, #0\n vmov.i32 q13, #0\n vmov.i32 q14, #0\n vmov.i32 q15, #0\n"                    \
            "1:\n" STEP STEP                                                                                 \
            "subs %[n], %[n], #1\n"                                                                          \
            "bgt 1b\n"                                                                                       \
            "vst1.32 {d16-d19}, [%[m]]!\n vst1.32 {d20-d23}, [%[m]]!\n"                                      \
            "vst1.32 {d24-d27}, [%[m]]!\n vst1.32 {d28-d31}, [%[m]]!\n"                                      \
            : [u] "+r"(u), [v] "+r"(v), [n] "+r"(n), [m] "+r"(mm)                                            \
            :                                                                                                \
            : "memory", "cc", "d0", "d1", "d2", "d3", "d4", "d5", "d16", "d17", "d18", "d19", "d20", "d21",  \
              "d22", "d23", "d24", "d25", "d26", "d27", "d28", "d29", "d30", "d31")
#define SDK_WINO_LOADS "vld1.16 {d0-d1}, [%[u]]!\n vld1.16 {d2-d5}, [%[v]]!\n"
        if (half) {
            SDK_WINO_ASM(SDK_WINO_LOADS
                         "vmlal.s16 q8, d2, d0[0]\n vmlal.s16 q10, d2, d0[1]\n"
                         "vmlal.s16 q12, d2, d0[2]\n vmlal.s16 q14, d2, d0[3]\n"
                         "vmlal.s16 q8, d4, d1[0]\n vmlal.s16 q10, d4, d1[1]\n"
                         "vmlal.s16 q12, d4, d1[2]\n vmlal.s16 q14, d4, d1[3]\n");
        } else {
            SDK_WINO_ASM(SDK_WINO_LOADS
                         "vmlal.s16 q8, d2, d0[0]\n vmlal.s16 q9, d3, d0[0]\n"
                         "vmlal.s16 q10, d2, d0[1]\n vmlal.s16 q11, d3, d0[1]\n"
                         "vmlal.s16 q12, d2, d0[2]\n vmlal.s16 q13, d3, d0[2]\n"
                         "vmlal.s16 q14, d2, d0[3]\n vmlal.s16 q15, d3, d0[3]\n"
                         "vmlal.s16 q8, d4, d1[0]\n vmlal.s16 q9, d5, d1[0]\n"
                         "vmlal.s16 q10, d4, d1[1]\n vmlal.s16 q11, d5, d1[1]\n"
                         "vmlal.s16 q12, d4, d1[2]\n vmlal.s16 q13, d5, d1[2]\n"
                         "vmlal.s16 q14, d4, d1[3]\n vmlal.s16 q15, d5, d1[3]\n");
        }
#undef SDK_WINO_LOADS
#undef SDK_WINO_ASM
#endif
    }
}

// V lanes [4h, 4h + 4) of every channel: the 4 tiles (ty, tx0..tx0+3) of the padded input.
// Per input row one VLD2 of 16 bytes: the even columns are taps 0 and (one lane on) 2 of
// the 4 tiles, the odd ones taps 1 and 3.
void input_block(const NeonWino& p, const int8_t* P, int32_t ty, int32_t tx0, int h, int16_t* V) {
    const int64_t plane = (int64_t)p.PH * p.PW;
    const int64_t xs = (int64_t)p.Cp * kLanes;  // V's stride from one xi to the next
    for (int32_t c = 0; c < p.C; ++c) {
        const int8_t* s = P + c * plane + (int64_t)(2 * ty) * p.PW + 2 * tx0;
        int16x4_t R[4][4];
        SDK_UNROLL for (int r = 0; r < 4; ++r) {
            const int8x8x2_t e = vld2_s8(s + r * p.PW);
            const int8x8_t d0 = e.val[0], d1 = e.val[1], d2 = vext_s8(d0, d0, 1), d3 = vext_s8(d1, d1, 1);
            R[r][0] = vget_low_s16(vsubl_s8(d0, d2));
            R[r][1] = vget_low_s16(vaddl_s8(d1, d2));
            R[r][2] = vget_low_s16(vsubl_s8(d2, d1));
            R[r][3] = vget_low_s16(vsubl_s8(d1, d3));
        }
        int16_t* v = V + (int64_t)c * kLanes + 4 * h;
        SDK_UNROLL for (int j = 0; j < 4; ++j) {
            vst1_s16(v + (0 * 4 + j) * xs, vsub_s16(R[0][j], R[2][j]));
            vst1_s16(v + (1 * 4 + j) * xs, vadd_s16(R[1][j], R[2][j]));
            vst1_s16(v + (2 * 4 + j) * xs, vsub_s16(R[2][j], R[1][j]));
            vst1_s16(v + (3 * 4 + j) * xs, vsub_s16(R[1][j], R[3][j]));
        }
    }
}

// Outputs of channel oc for lanes [4h, 4h + 4) (the block at tile row ty, tiles tx0..):
// A^T M A, / 4 (exact), + bias, requantized, two output rows of up to 8 bytes.
void output_block(const NeonWino& p, const int32_t* M, int o, int h, int32_t oc, int32_t ty, int32_t tx0, int8_t* y) {
    int32x4_t P0[4], P1[4];  // A^T applied along the columns of M's rows
    SDK_UNROLL for (int i = 0; i < 4; ++i) {
        const int32_t* mi = M + (i * 4 * kOB + o) * kLanes + 4 * h;  // xi = 4i + j: stride kOB * kLanes
        const int32x4_t m0 = vld1q_s32(mi), m1 = vld1q_s32(mi + kOB * kLanes), m2 = vld1q_s32(mi + 2 * kOB * kLanes),
                        m3 = vld1q_s32(mi + 3 * kOB * kLanes);
        P0[i] = vaddq_s32(vaddq_s32(m0, m1), m2);
        P1[i] = vsubq_s32(vsubq_s32(m1, m2), m3);
    }
    const int32x4_t b = vdupq_n_s32(p.bias[oc]);
    const int32_t mu = p.mult[oc], sh = p.shift[oc];
    int32x4_t q[4];  // y00, y01, y10, y11 of the 4 tiles
    q[0] = vaddq_s32(vaddq_s32(P0[0], P0[1]), P0[2]);
    q[1] = vaddq_s32(vaddq_s32(P1[0], P1[1]), P1[2]);
    q[2] = vsubq_s32(vsubq_s32(P0[1], P0[2]), P0[3]);
    q[3] = vsubq_s32(vsubq_s32(P1[1], P1[2]), P1[3]);
    for (int k = 0; k < 4; ++k)  // (not unrolled: code size)
        q[k] = neon_requant4(vsraq_n_s32(b, q[k], 2), mu, sh, p.out_zp, p.act_min, p.act_max);
    const int32_t row = 2 * ty, col = 2 * tx0;
    const int32_t n = p.OW - col < 8 ? p.OW - col : 8;
    int8_t* yo = y + (int64_t)oc * p.OH * p.OW + (int64_t)row * p.OW + col;
    for (int a = 0; a < 2 && row + a < p.OH; ++a, yo += p.OW) {
        const int16x4x2_t z = vzip_s16(vmovn_s32(q[2 * a]), vmovn_s32(q[2 * a + 1]));  // columns in order
        const int8x8_t r = vmovn_s16(vcombine_s16(z.val[0], z.val[1]));            // already in [lo, hi]
        if (n == 8) {
            vst1_s8(yo, r);
        } else {
            int8_t t[8];
            vst1_s8(t, r);
            memcpy(yo, t, (size_t)n);
        }
    }
}

// F(4x4, 3x3)'s B^T on 6 vectors (a row or a column of a tile's 6 x 6 inputs); int16:
// |d B| <= 10 * 128, |B^T d B| <= 100 * 128.
__attribute__((always_inline)) inline void bt6(const int16x8_t* d, int16x8_t* v) {
    const int16x8_t b = d[4] - d[2], e = d[3] - d[1];
    v[0] = ((d[0] - d[2]) << 2) + b;              // 4 d0 - 5 d2 + d4
    v[1] = (d[3] + d[4]) - ((d[1] + d[2]) << 2);  // -4 d1 - 4 d2 + d3 + d4
    v[2] = (d[4] - d[3]) + ((d[1] - d[2]) << 2);  // 4 d1 - 4 d2 - d3 + d4
    v[3] = b + (e << 1);                          // -2 d1 - d2 + 2 d3 + d4
    v[4] = b - (e << 1);                          // 2 d1 - d2 - 2 d3 + d4
    v[5] = (d[5] - d[3]) - (e << 2);              // 4 d1 - 5 d3 + d5
}

// F(4x4)'s blocks: 4 consecutive tiles in row-major order over the plane's TH x TW tiles, in
// runs (segs) of tiles of one tile row: run k has lanes [lane, lane + len) from tile (ty, tx).
// A run's input rows are read by one VLD4 of 32 bytes at off (+ the row, + the channel's
// plane), the 8 tiles from tile tx - lane, so lane l is tile tx + l - lane: off may point up
// to 12 bytes before a tile row (row >= 4 then, inside the buffer), and a read may pass the
// row's end (into the next row, or the 32 bytes of slack after the last plane).
struct Block4 {
    int32_t n;  // runs (1-4); lanes past the plane's last tile repeat nothing useful (not stored)
    int32_t off[4], lane[4], len[4], ty[4], tx[4];
};
void block4(const NeonWino& p, int64_t b, Block4& k) {
    const int64_t T = (int64_t)p.TH * p.TW;
    int64_t t = 4 * b;
    int32_t lane = 0, n = 0;
    while (lane < 4 && t < T) {
        const int32_t ty = (int32_t)(t / p.TW), tx = (int32_t)(t % p.TW);
        int32_t len = 4 - lane < p.TW - tx ? 4 - lane : p.TW - tx;
        if (T - t < len) len = (int32_t)(T - t);
        k.off[n] = 4 * ty * p.PW + 4 * (tx - lane);
        k.lane[n] = lane;
        k.len[n] = len;
        k.ty[n] = ty;
        k.tx[n] = tx;
        ++n;
        lane += len;
        t += len;
    }
    k.n = n;
}

// F(4x4): V of every channel for the group's 8 tiles (blocks k[0], k[1]). Per input row and
// run one VLD4 of 32 bytes: lanes t of val[i] are column 4t + i of tile t, val[0] and val[1]
// one lane on are columns 4 and 5; a block's later runs replace their lanes (BSL); the two
// blocks' 4 lanes side by side (ZIP).
SDK_WINO_OUTLINE void input_group4(const NeonWino& p, const int8_t* P, const Block4* k, int16_t* V) {
    const int64_t plane = (int64_t)p.PH * p.PW;
    const int64_t xs = (int64_t)p.Cp * kLanes;  // V's stride from one xi to the next
    const uint8x8_t iota = vcreate_u8(0x0706050403020100ull);
    for (int32_t c = 0; c < p.C; ++c) {
        const int8_t* s = P + c * plane;
        int16x8_t R[6][6];  // d B of the 6 rows (loops not unrolled: code size; R lives in memory anyway)
        for (int r = 0; r < 6; ++r, s += p.PW) {
            int8x8_t col[2][6];
            SDK_UNROLL for (int h = 0; h < 2; ++h) {
                const int8x8x4_t a = vld4_s8(s + k[h].off[0]);
                SDK_UNROLL for (int i = 0; i < 4; ++i) col[h][i] = a.val[i];
                col[h][4] = vext_s8(a.val[0], a.val[0], 1);
                col[h][5] = vext_s8(a.val[1], a.val[1], 1);
                for (int j = 1; j < k[h].n; ++j) {  // a block continued on the next tile row(s)
                    const int8x8x4_t e = vld4_s8(s + k[h].off[j]);
                    const uint8x8_t sel = vcge_u8(iota, vdup_n_u8((uint8_t)k[h].lane[j]));
                    SDK_UNROLL for (int i = 0; i < 4; ++i) col[h][i] = vbsl_s8(sel, e.val[i], col[h][i]);
                    col[h][4] = vbsl_s8(sel, vext_s8(e.val[0], e.val[0], 1), col[h][4]);
                    col[h][5] = vbsl_s8(sel, vext_s8(e.val[1], e.val[1], 1), col[h][5]);
                }
            }
            int16x8_t d[6];
            SDK_UNROLL for (int i = 0; i < 6; ++i) d[i] = vmovl_s8(vreinterpret_s8_s32(
                vzip_s32(vreinterpret_s32_s8(col[0][i]), vreinterpret_s32_s8(col[1][i])).val[0]));
            bt6(d, R[r]);
        }
        int16_t* v = V + (int64_t)c * kLanes;
        for (int j = 0; j < 6; ++j) {
            const int16x8_t d[6] = {R[0][j], R[1][j], R[2][j], R[3][j], R[4][j], R[5][j]};
            int16x8_t o[6];
            bt6(d, o);
            SDK_UNROLL for (int i = 0; i < 6; ++i) vst1q_s16(v + (6 * i + j) * xs, o[i]);
        }
    }
}

// F(4x4)'s output transform with the weights' scale D folded in: A^T diag(6, 4, 4, 1, 1, 24)
// on 6 vectors (int32, exact modulo 2^32).
// k: lane 0 = 6 (a constant in a register: ARMv7's GCC rebuilt the _n forms' scalar per use).
__attribute__((always_inline)) inline void at6(const int32x4_t* m, int32x4_t* o, int32x2_t k) {
    const int32x4_t s1 = vaddq_s32(m[1], m[2]), d1 = vsubq_s32(m[1], m[2]), s2 = vaddq_s32(m[3], m[4]),
                    d2 = vsubq_s32(m[3], m[4]);
    o[0] = vmlaq_lane_s32(vaddq_s32(vshlq_n_s32(s1, 2), s2), m[0], k, 0);                // 6 m0 + 4 s1 + s2
    o[1] = vshlq_n_s32(vaddq_s32(vshlq_n_s32(d1, 1), d2), 1);                           // 4 d1 + 2 d2
    o[2] = vshlq_n_s32(vaddq_s32(s1, s2), 2);                                           // 4 s1 + 4 s2
    o[3] = vshlq_n_s32(vmlaq_lane_s32(vaddq_s32(d1, vshlq_n_s32(d2, 1)), m[5], k, 0), 2);  // 4 d1 + 8 d2 + 24 m5
}

// F(4x4)'s output bytes: row a of a block (4 tiles x 4 columns, byte 4t + column) from
// B[a / 2][column] (int8, lanes 0-3: row 2 (a / 2) of tiles 0-3, lanes 4-7: the next row)
// as a 32-byte table; kOutIdx[L][a % 2] starts at tile L (a run from lane L; 255: no byte).
struct OutIdx {
    uint8_t v[4][2][16];
    constexpr OutIdx() : v() {
        for (int L = 0; L < 4; ++L)
            for (int hh = 0; hh < 2; ++hh)
                for (int i = 0; i < 16; ++i) {
                    const int t = i / 4 + L, k = i % 4;
                    v[L][hh][i] = (uint8_t)(t < 4 ? 8 * k + 4 * hh + t : 255);
                }
    }
};
constexpr OutIdx kOutIdx;

__attribute__((always_inline)) inline int8x16_t out_row(const int8x8_t* B, const uint8_t* idx) {
    const uint8x16_t i = vld1q_u8(idx);
#if defined(__aarch64__)
    const int8x16x2_t t = {{vcombine_s8(B[0], B[1]), vcombine_s8(B[2], B[3])}};
    return vqtbl2q_s8(t, i);
#else
    const int8x8x4_t t = {{B[0], B[1], B[2], B[3]}};
    return vcombine_s8(vtbl4_s8(t, vreinterpret_s8_u8(vget_low_u8(i))), vtbl4_s8(t, vreinterpret_s8_u8(vget_high_u8(i))));
#endif
}

// The first n (1-15) bytes of v at y: 8, 4, 2, 1 bytes at a time (no call, no spill).
__attribute__((always_inline)) inline void store_n(int8_t* y, int8x16_t v, int32_t n) {
    if (n & 8) {
        const uint64_t w = vgetq_lane_u64(vreinterpretq_u64_s8(v), 0);
        memcpy(y, &w, 8);
        y += 8;
        v = vextq_s8(v, v, 8);
    }
    if (n & 4) {
        const uint32_t w = vgetq_lane_u32(vreinterpretq_u32_s8(v), 0);
        memcpy(y, &w, 4);
        y += 4;
        v = vextq_s8(v, v, 4);
    }
    if (n & 2) {
        const uint16_t w = vgetq_lane_u16(vreinterpretq_u16_s8(v), 0);
        memcpy(y, &w, 2);
        y += 2;
        v = vextq_s8(v, v, 2);
    }
    if (n & 1) *y = vgetq_lane_s8(v, 0);
}

// F(4x4): outputs of channel oc for lanes [4h, 4h + 4) (the block bk): A'^T M A' = 576
// (sum_taps w x) modulo 2^32; + 576 bias, times 9^-1 modulo 2^32: 64 acc, exact as
// |acc| < 2^25 (wino_s8_pick). Then s8::mbqm(acc) = SRSHL(SQDMULH(64 acc, mult), shift - 6)
// exactly: SQDMULH gives floor(acc mult / 2^25), and with t = 31 - shift >= 26,
// (floor(P / 2^25) + 2^(t - 26)) >> (t - 25) = floor((P + 2^(t - 1)) / 2^t) for P = acc mult
// (the floor of a floor), |result| < 2^30 (no saturation). The bias: at6 gives M's row 1 the
// weight 4 in each of its 4 outputs, so 144 bias added to T[1][k] adds 16 x 144 = 576 bias
// to every output. The zero point and clamp on int16 lanes after SQXTN: for v the requantized
// int32, clamp(sat16(sat16(v) + zp)) = clamp(sat32(v + zp)) for zp, lo, hi in [-128, 127]
// (|v| > 32767 clamps to the bound of its sign either way). Four output rows of up to 16
// bytes, each run of the block at its tile row.
SDK_WINO_OUTLINE void output_block4(const NeonWino& p, const int32_t* M, int o, int h, int32_t oc, const Block4& bk, int8_t* y) {
    // lanes: 6 (at6), 9^-1 modulo 2^32 (9 * 0x38E38E39 = 1 mod 2^32), mult
    const int32x4_t kc = vcombine_s32(vcreate_s32(0x38E38E3900000006ull), vdup_n_s32(p.mult[oc]));
    int32x4_t T[6][4];  // A'^T along the columns of M's rows (loops not unrolled: code size)
    for (int i = 0; i < 6; ++i) {
        const int32_t* mi = M + (6 * i * kOB + o) * kLanes + 4 * h;  // xi = 6i + j: stride kOB * kLanes
        int32x4_t m[6];
        SDK_UNROLL for (int j = 0; j < 6; ++j) m[j] = vld1q_s32(mi + j * kOB * kLanes);
        at6(m, T[i], vget_low_s32(kc));
    }
    const int32x4_t b = vdupq_n_s32((int32_t)((uint32_t)p.bias[oc] * 144u)), sh = vdupq_n_s32(p.shift[oc] - 6);
    const int16x8_t z = vdupq_n_s16((int16_t)p.out_zp), lo = vdupq_n_s16((int16_t)p.act_min),
                    hi = vdupq_n_s16((int16_t)p.act_max);
    int8x8_t B[2][4];  // [output rows 0-1 | 2-3][column] of the 4 tiles
    for (int k = 0; k < 4; ++k) {
        const int32x4_t c[6] = {T[0][k], vaddq_s32(T[1][k], b), T[2][k], T[3][k], T[4][k], T[5][k]};
        int32x4_t r[4];
        at6(c, r, vget_low_s32(kc));
        SDK_UNROLL for (int a = 0; a < 4; ++a)
            r[a] = vrshlq_s32(vqdmulhq_lane_s32(vmulq_lane_s32(r[a], vget_low_s32(kc), 1), vget_high_s32(kc), 0), sh);
        SDK_UNROLL for (int pr = 0; pr < 2; ++pr) {
            const int16x8_t v = vqaddq_s16(vcombine_s16(vqmovn_s32(r[2 * pr]), vqmovn_s32(r[2 * pr + 1])), z);
            B[pr][k] = vmovn_s16(vminq_s16(vmaxq_s16(v, lo), hi));
        }
    }
    int8_t* yc = y + (int64_t)oc * p.OH * p.OW;
    for (int a = 0; a < 4; ++a) {
        for (int j = 0; j < bk.n; ++j) {  // the block's runs of one tile row each
            const int32_t row = 4 * bk.ty[j] + a, col = 4 * bk.tx[j];
            if (row >= p.OH) continue;
            const int32_t n = p.OW - col < 4 * bk.len[j] ? p.OW - col : 4 * bk.len[j];
            const int8x16_t r = out_row(B[a / 2], kOutIdx.v[bk.lane[j]][a % 2]);
            int8_t* yo = yc + (int64_t)row * p.OW + col;
            if (n == 16)
                vst1q_s8(yo, r);
            else
                store_n(yo, r, n);
        }
    }
}

}  // namespace

void wino_s8_geometry(NeonWino& p) {
    const int32_t m = p.m;
    p.Cp = (p.C + 3) & ~3;
    p.OCp = (p.OC + kOB - 1) / kOB * kOB;
    p.TH = (p.OH + m - 1) / m;
    p.TW = (p.OW + m - 1) / m;
    p.nbx = (p.TW + 3) / 4;
    p.PH = m * p.TH + 2;
    // F(2x2): a block's VLD2 reads 16 bytes from its first column; F(4x4): the 4 TW + 2 columns
    // (a run's VLD4 may read on into the next row: wino_s8_plane_bytes has 32 bytes of slack)
    p.PW = m == 4 ? 4 * p.TW + 4 : 8 * p.nbx + 8;
    p.nxi = (m + 2) * (m + 2);
}

int wino_s8_pick(NeonWino& p, const int8_t* w) {
    bool four = true;  // F(4x4): every accumulator |acc| < 2^25 (64 acc fits int32), shift <= 5
    uint32_t all = 0;
    for (int32_t oc = 0; oc < p.OC && four; ++oc) {
        const int64_t b = p.bias[oc] < 0 ? -(int64_t)p.bias[oc] : p.bias[oc];
        four = b + 128 * (int64_t)abs_sum_s8(w + (int64_t)oc * 9 * p.C, 9 * p.C, &all) < (1 << 25) &&
               p.shift[oc] <= 5;
    }
    int64_t cost[2];  // GEMM blocks (4 lanes each) x products of each tile size
    for (int i = 0; i < 2; ++i) {
        p.m = 4 - 2 * i;
        wino_s8_geometry(p);
        cost[i] = wino_s8_blocks(p) * p.nxi;
    }
    const bool two = wino_s8_fits(w, p.OC, p.C);
    p.m = four && (cost[0] < cost[1] || !two) ? 4 : (two ? 2 : 0);
    if (p.m) wino_s8_geometry(p);
    return p.m;
}

bool wino_s8_fits(const int8_t* w, int32_t OC, int32_t C) {
    uint32_t all = 0;
    for (int32_t oc = 0; oc < OC; ++oc)
        if (abs_sum_s8(w + (int64_t)oc * 9 * C, 9 * C, &all) >= (1u << 22)) return false;  // 4 * 128 * sum |w| < 2^31
    return true;
}

// The integer weight transforms: G' = 2G for F(2x2, 3x3); for F(4x4, 3x3) G = D Gi with
// D = diag(1/4, 1/6, 1/6, 1/24, 1/24, 1) and Gi below (|Gi g Gi^T| <= 49 * 128 fits int16):
// the output transform takes 24 D (kernels/neon/conv_s8_wino.cpp, output_block4).
static const int8_t kG2[4][3] = {{2, 0, 0}, {1, 1, 1}, {1, -1, 1}, {0, 0, 2}};
static const int8_t kG4[6][3] = {{1, 0, 0}, {-1, -1, -1}, {-1, 1, -1}, {1, 2, 4}, {1, -2, 4}, {0, 0, 1}};

// kOB output channels at a time in the lanes of a vector (the layout of U), one input
// channel after the other: the 9 taps x kOB channels gathered into an array, U = G g G^T on
// vectors, nxi stores (loops not unrolled: code size; once per load).
void wino_s8_weights(const NeonWino& p, const int8_t* w, int16_t* U) {
    typedef int16_t vh __attribute__((vector_size(kOB * sizeof(int16_t))));
    const int n = p.m + 2;
    const int8_t(*G)[3] = p.m == 4 ? kG4 : kG2;
    for (int32_t ob = 0; ob < p.OCp; ob += kOB) {
        int16_t* ub = U + (int64_t)ob * p.nxi * p.Cp;
        for (int32_t c = 0; c < p.Cp; ++c) {
            vh g[9] = {};  // channels past C (and output channels past OC) stay zero
            if (c < p.C)
                for (int o = 0; o < kOB && ob + o < p.OC; ++o)
                    for (int t = 0; t < 9; ++t) g[t][o] = w[((int64_t)(ob + o) * p.C + c) * 9 + t];
            vh t[6][3];  // G g
            for (int i = 0; i < n; ++i)
                for (int k = 0; k < 3; ++k) t[i][k] = G[i][0] * g[k] + G[i][1] * g[3 + k] + G[i][2] * g[6 + k];
            for (int i = 0; i < n; ++i)  // (G g) G^T
                for (int j = 0; j < n; ++j) {
                    const vh u = G[j][0] * t[i][0] + G[j][1] * t[i][1] + G[j][2] * t[i][2];
                    memcpy(ub + ((int64_t)(n * i + j) * p.Cp + c) * kOB, &u, sizeof(vh));
                }
        }
    }
}

void wino_s8_pad(const NeonWino& p, const int8_t* x, int8_t* P) {
    const int32_t lead = p.pl < p.PW ? p.pl : p.PW;
    const int32_t n = p.W < p.PW - lead ? p.W : p.PW - lead;
    for (int32_t c = 0; c < p.C; ++c)  // (the stores past a plane's end: the next plane's, or the 32 bytes of slack)
        pad_plane_neon(P + (int64_t)c * p.PH * p.PW, x + (int64_t)c * p.H * p.W, p.W, p.H, -p.pt, p.PH, p.PW, lead, n,
                       (int8_t)p.x_zp);
}

void wino_s8_groups(const NeonWino& p, const int8_t* P, int64_t g0, int64_t g1, void* scratch, int8_t* y) {
    int16_t* V = static_cast<int16_t*>(scratch);
    int32_t* M = reinterpret_cast<int32_t*>(V + (int64_t)p.nxi * p.Cp * kLanes);
    const int64_t blocks = wino_s8_blocks(p);
    for (int32_t c = p.C; c < p.Cp; ++c)  // channels past C meet zero weights: any finite V
        for (int xi = 0; xi < p.nxi; ++xi) memset(V + ((int64_t)xi * p.Cp + c) * kLanes, 0, kLanes * sizeof(int16_t));
    for (int64_t g = g0; g < g1; ++g) {
        const int nb = 2 * g + 1 < blocks ? 2 : 1;  // a last group of one block: the 4-lane GEMM
        int32_t ty[2], tx0[2];
        Block4 bk[2];
        for (int h = 0; h < 2; ++h) {
            const int64_t b = 2 * g + (h < nb ? h : 0);  // (a repeated block's lanes: not used)
            if (p.m == 4) {
                block4(p, b, bk[h]);
                continue;
            }
            ty[h] = (int32_t)(b / p.nbx);
            tx0[h] = (int32_t)(b % p.nbx) * 4;
            input_block(p, P, ty[h], tx0[h], h, V);
        }
        if (p.m == 4) input_group4(p, P, bk, V);
        for (int32_t ob = 0; ob < p.OCp; ob += kOB) {
            gemm_xi(p.U + (int64_t)ob * p.nxi * p.Cp, V, p.Cp, M, p.nxi, nb == 1);
            const int on = p.OC - ob < kOB ? p.OC - ob : kOB;
            for (int o = 0; o < on; ++o)
                for (int h = 0; h < nb; ++h)
                    if (p.m == 4)
                        output_block4(p, M, o, h, ob + o, bk[h], y);
                    else
                        output_block(p, M, o, h, ob + o, ty[h], tx0[h], y);
        }
    }
}

}  // namespace s8
}  // namespace sdk
#endif
