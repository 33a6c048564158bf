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

// s8::mbqm on 64-bit lanes (SMULL + SRSHL + SQXTN), zero point, clamp.
static inline __attribute__((always_inline)) int32x4_t neon_requant4(int32x4_t acc, int32_t mult, int32_t shift,
                                                                     int32_t zp, int32_t lo, int32_t hi) {
    const int64x2_t sh = vdupq_n_s64(-(int64_t)(31 - shift));
    const int64x2_t l = vrshlq_s64(vmull_n_s32(vget_low_s32(acc), mult), sh);
    const int64x2_t h = vrshlq_s64(vmull_n_s32(vget_high_s32(acc), mult), sh);
    int32x4_t v = vcombine_s32(vqmovn_s64(l), vqmovn_s64(h));
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

// Requantizes and stores row m, columns n..n+nc-1 (nc <= 4; bias not yet added).
static inline __attribute__((always_inline)) void neon_store4(const Gemm& g, int32_t m, int32_t n, int32x4_t acc,
                                                              int32_t nc = 4) {
    acc = vaddq_s32(acc, vdupq_n_s32(g.bias[m]));
    const int32x4_t v = neon_requant4(acc, g.mult[m], g.shift[m], g.out_zp, g.act_min, g.act_max);
    int8_t* y = g.y + m * g.ys_m + n * g.ys_n;
    if (g.ys_n == 1 && nc == 4) {
        const int16x4_t h = vmovn_s32(v);
        const int8x8_t b = vmovn_s16(vcombine_s16(h, h));  // values already in [lo, hi]
        const int32_t four = vget_lane_s32(vreinterpret_s32_s8(b), 0);
        memcpy(y, &four, 4);  // y need not be 4-byte aligned
    } else {
        y[0] = (int8_t)vgetq_lane_s32(v, 0);
        if (nc > 1) y[g.ys_n] = (int8_t)vgetq_lane_s32(v, 1);
        if (nc > 2) y[2 * g.ys_n] = (int8_t)vgetq_lane_s32(v, 2);
        if (nc > 3) y[3 * g.ys_n] = (int8_t)vgetq_lane_s32(v, 3);
    }
}

}  // namespace s8
}  // namespace sdk
