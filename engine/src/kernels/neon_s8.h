// NEON requantization shared by the NEON and SDOT int8 GEMM and depthwise objects. Internal linkage
// and always inlined: each object gets its own copy compiled with its own flags (the SDOT
// object's copy must never serve the ARMv8.0 path), and the epilogue stays in registers
// in -Os builds.
#pragma once

#include <arm_neon.h>
#include <string.h>

#include "kernels/gemm_s8.h"

namespace sdk {
namespace s8 {

// s8::mbqm on 32-bit lanes, bit-exact, in 3 instructions (it was 6 on 64-bit lanes: SMULL,
// SRSHL, SQXTN for each half): with L = max(shift + 1, 0) and R = L - shift (>= 1),
//     mbqm(x) = SRSHL(SQDMULH(SQSHL(x, L), mult), -R).
// Proof: SQDMULH(a, mult) = floor(a mult / 2^31) (no saturation: mult >= 0), so without
// saturation in SQSHL, h = floor(P 2^L / 2^31) for P = x mult, and the rounding shift gives
// floor((h + 2^(R-1)) / 2^R) = floor((P 2^L / 2^31 + 2^(R-1)) / 2^R) (the floor of a floor:
// 2^(R-1) is an integer) = floor((P + 2^(t-1)) / 2^t) with t = 31 - shift: mbqm before its
// int32 saturation, and |h| < 2^31 so the result needs none unless mbqm's does. When SQSHL
// saturates (only for shift >= 0: |x| 2^(shift+1) >= 2^31, so |x M| >= 2^29 with mult >=
// 2^30) or mbqm saturates, both results have that sign and |value| >= 2^28: every zero point
// and clamp then gives the same int8 bound. (mult = 0: both 0.)
struct NeonShift {
    int32_t l, r;  // SQSHL by l, SRSHL by r = -R
};
static inline __attribute__((always_inline)) NeonShift neon_shift(int32_t shift) {
    const int32_t l = shift + 1 > 0 ? shift + 1 : 0;
    return NeonShift{l, shift - l};
}
static inline __attribute__((always_inline)) int32x4_t neon_requant4(int32x4_t acc, int32_t mult, int32_t shift,
                                                                     int32_t zp, int32_t lo, int32_t hi) {
    const NeonShift s = neon_shift(shift);
    int32x4_t v = vrshlq_s32(vqdmulhq_n_s32(vqshlq_s32(acc, vdupq_n_s32(s.l)), mult), vdupq_n_s32(s.r));
    v = vqaddq_s32(v, vdupq_n_s32(zp));
    v = vmaxq_s32(v, vdupq_n_s32(lo));
    return vminq_s32(v, vdupq_n_s32(hi));
}

// Requantizes 8 accumulators (a0: outputs 0-3, a1: 4-7) and stores the first `n` (<= 8)
// of them at y: the depthwise row epilogue of the NEON and SDOT objects.
static inline __attribute__((always_inline)) void neon_store8_requant(int8_t* y, int32_t n, int32x4_t a0,
                                                                      int32x4_t a1, int32_t mult, int32_t shift,
                                                                      int32_t zp, int32_t lo, int32_t hi) {
    const int32x4_t q0 = neon_requant4(a0, mult, shift, zp, lo, hi);
    const int32x4_t q1 = neon_requant4(a1, mult, shift, zp, lo, hi);
    const int8x8_t v = vmovn_s16(vcombine_s16(vmovn_s32(q0), vmovn_s32(q1)));  // already in [lo, hi]
    if (n >= 8) {
        vst1_s8(y, v);
    } else {
        int8_t t[8];
        vst1_s8(t, v);
        memcpy(y, t, (size_t)n);
    }
}

// The requantization parameters of output rows m .. m + 3 of a GEMM, one per lane: bias,
// multiplier and neon_shift's two shifts (a tail of 1-3 rows repeats its last row: computed,
// not stored). Every NEON int8 GEMM epilogue that takes rows as lanes starts from these.
static inline __attribute__((always_inline)) void neon_row_params4(const Gemm& g, int32_t m, int32_t rows,
                                                                   int32_t* b, int32_t* mu, int32_t* sl, int32_t* sr) {
    for (int i = 0; i < 4; ++i) {
        const int32_t r = m + (i < rows ? i : rows - 1);
        const NeonShift s = neon_shift(g.shift[r]);
        b[i] = g.bias[r];
        mu[i] = g.mult[r];
        sl[i] = s.l;
        sr[i] = s.r;
    }
}

#if defined(__aarch64__)
// The epilogue of a tile of up to 4 rows x 4 columns with lanes = the rows (c0..c3: the
// columns' sums, bias not yet added): the rows' bias, multiplier and shift are vectors
// (loaded once per 4 rows; a tail of 1-3 rows repeats its last row), one requantization per
// column, and a TBL turns the 4 columns x 4 rows of bytes into rows: 4 row stores when the
// tile is whole and its columns contiguous, else byte by byte. Internal linkage (as the
// functions above): the SDOT object's copy must never serve the ARMv8.0 path.
namespace {
struct Rows4 {
    int32x4_t b, mu;
    int16x8_t z, lo, hi;
    int32x4_t sl, sr;  // neon_shift per row
    __attribute__((always_inline)) Rows4(const Gemm& g, int32_t m, int32_t rows) {
        int32_t t[4][4];
        neon_row_params4(g, m, rows, t[0], t[1], t[2], t[3]);
        b = vld1q_s32(t[0]);
        mu = vld1q_s32(t[1]);
        sl = vld1q_s32(t[2]);
        sr = vld1q_s32(t[3]);
        z = vdupq_n_s16((int16_t)g.out_zp);
        lo = vdupq_n_s16((int16_t)g.act_min);
        hi = vdupq_n_s16((int16_t)g.act_max);
    }
    __attribute__((always_inline)) int32x4_t rq(int32x4_t a) const {  // s8::mbqm (neon_requant4)
        return vrshlq_s32(vqdmulhq_s32(vqshlq_s32(vaddq_s32(a, b), sl), mu), sr);
    }
    // Two columns' zero point and clamp on int16 lanes after SQXTN: clamp(sat16(sat16(v) + zp))
    // = clamp(sat32(v + zp)) for zp, lo, hi in [-128, 127] (|v| > 32767 clamps to the bound of
    // its sign either way).
    __attribute__((always_inline)) int8x8_t zc(int32x4_t v0, int32x4_t v1) const {
        const int16x8_t v = vqaddq_s16(vqmovn_high_s32(vqmovn_s32(v0), v1), z);
        return vmovn_s16(vminq_s16(vmaxq_s16(v, lo), hi));
    }
    __attribute__((always_inline)) void store(const Gemm& g, int32_t m, int32_t n, int32_t rows, int32_t nc,
                                              int32x4_t c0, int32x4_t c1, int32x4_t c2, int32x4_t c3) const {
        // bytes (column c, row r) at 4c + r -> (row r, column c) at 4r + c
        static const uint8_t kRowsOfCols[16] = {0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15};
        const int8x16_t cols = vcombine_s8(zc(rq(c0), rq(c1)), zc(rq(c2), rq(c3)));
        const int8x16_t rb = vqtbl1q_s8(cols, vld1q_u8(kRowsOfCols));
        int8_t* y = g.y + m * g.ys_m + n * g.ys_n;
        if (rows == 4 && nc == 4 && g.ys_n == 1) {
            const int32x4_t r = vreinterpretq_s32_s8(rb);
            vst1q_lane_s32(reinterpret_cast<int32_t*>(y), r, 0);  // (ST1 of a lane: any alignment)
            vst1q_lane_s32(reinterpret_cast<int32_t*>(y + g.ys_m), r, 1);
            vst1q_lane_s32(reinterpret_cast<int32_t*>(y + 2 * g.ys_m), r, 2);
            vst1q_lane_s32(reinterpret_cast<int32_t*>(y + 3 * g.ys_m), r, 3);
            return;
        }
        int8_t t[16];
        vst1q_s8(t, rb);
        for (int i = 0; i < rows; ++i)
            for (int j = 0; j < nc; ++j) y[i * g.ys_m + j * g.ys_n] = t[4 * i + j];
    }
};
}  // namespace
#endif

}  // namespace s8
}  // namespace sdk
