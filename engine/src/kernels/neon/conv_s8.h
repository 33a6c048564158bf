// NEON int8 depthwise 3x3 convolution (kernels/neon/conv_s8.cpp; ARMv7 and AArch64),
// chosen by kernels/ref/conv_s8.cpp with the NEON int8 tier (SDK_INT8_GEMM=ref keeps the
// portable loops). Bit-exact with the ref: integer arithmetic, the same requantization.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernels/gemm_s8.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)

namespace sdk {
namespace s8 {

// Depthwise 3x3 or 5x5 (k), stride 1 or 2 (the same both ways), dilation 1, any padding.
struct NeonDw3x3 {
    int32_t H, W, OH, OW, stride, pt, pl;
    int32_t x_zp, out_zp, act_min, act_max;
    bool dot;   // the ARMv8.2 SDOT rows (kernels/neon/conv_s8_dotprod.cpp) where the CPU has them (3x3)
    int32_t k;  // 3 or 5
};

// Rows [0, rows) of a padded plane d (rows of wp bytes): row r holds the source row ih0 + r
// of x (H rows of W) at column lead, its first n bytes (n <= W, lead + n <= wp), and zp
// elsewhere; rows outside the source (or n <= 0) are all zp. By 16-byte stores, no calls
// (memset/memcpy per row were ~80 instructions a row): writes up to 15 bytes past the last row.
void pad_plane_neon(int8_t* d, const int8_t* x, int32_t W, int32_t H, int32_t ih0, int32_t rows, int32_t wp,
                    int32_t lead, int32_t n, int8_t zp);

// Whether the kernel takes these weights: no -128 (a pair of products must fit int16).
bool dw3x3_neon_weights_ok(const int8_t* w, int64_t n);
// Scratch for one plane: the input with its padding (the input zero point) filled in.
size_t dw3x3_neon_scratch_bytes(const NeonDw3x3& p);
// y (OH x OW) = requant(bias + sum_taps w * (x - x_zp)) of one channel plane x (H x W);
// w9: the plane's k * k weights.
void dw3x3_plane_neon(const NeonDw3x3& p, const int8_t* x, const int8_t* w9, int32_t bias, int32_t mult,
                      int32_t shift, int8_t* scratch, int8_t* y);

// The im2col of the dense int8 Conv (kernels/ref/conv_s8.cpp) on NEON: columns [np][kp]
// (a pixel's kp taps contiguous, the GEMM's input) from a source whose every tap is inside
// it (the input, or a copy of a tile's rows with the padding filled with the zero point).
// Tap k = (c, kh, kw) of pixel i reads src[c * plane + kh * dh * rs + kw * dw + pix[i]];
// taps kg..kp-1 are 0. 8 taps x 8 pixels per step: one load per tap where the 8 pixels
// are evenly spaced by sw (1 or 2) in one row, an 8x8 byte transpose (TRN), 8 stores.
// limit: bytes readable from src (a stride-2 step loads 16).
// xs > 0 (gemm_pl_neon's input): pairs of taps per pixel instead, [kp / 2][pixels][2]
// with pair rows of xs bytes (ST2 of two taps' 8 pixels; a step may write up to 8 pixels past
// np: xs >= 2 (np + 8)).
struct NeonIm2col {
    const int8_t* src;
    int64_t plane, limit;
    int32_t rs, KH, KW, dh, dw, sw, kg, kp;
    int32_t xs;
};
void im2col_neon(const NeonIm2col& q, const int32_t* pix, int32_t np, int8_t* out);

// Pixel-lane int8 GEMM (kernels/neon/conv_s8_pl.cpp): rows [m0, m1) x all g.N columns of g with
// g.x the pair layout above (pair rows of xs bytes, xs >= 2 * (g.N rounded up to kPlPixels)), g.ys_n = 1.
// 4 rows x 16 pixels a tile (ARMv7: 4 x 8); g.kp a multiple of 4. Bit-exact with gemm_ref
// (weights in [-127, 127]).
void gemm_pl_neon(const Gemm& g, int32_t m0, int32_t m1, int32_t xs);
// Pixels a gemm_pl_neon tile computes at once (Conv tiles hold whole ones).
#if defined(__aarch64__)
constexpr int32_t kPlPixels = 16;
#else
constexpr int32_t kPlPixels = 8;  // (tiles of 8: less slot memory and fewer wasted lanes than 16)
#endif
// The pair layout's row bytes (xs) for np pixels.
inline int32_t pl_row_bytes(int32_t np) { return ((np + kPlPixels - 1) / kPlPixels * kPlPixels + 8) * 2; }

// Int8 3x3 stride-1 dilation-1 dense Conv (group 1) by Winograd F(2x2, 3x3) or F(4x4, 3x3) in
// exact integer arithmetic (kernels/neon/conv_s8_wino.cpp), with the plain NEON GEMM tier:
// bit-exact with the ref GEMM. Output tiles of m x m (m = 2 or 4) in blocks of 4 (F(2x2): along
// a tile row, nbx blocks a row; F(4x4): 4 consecutive tiles in row-major order over the whole
// plane, a block may continue on the next tile rows, so no lane is wasted at a row's end),
// two blocks (8 lanes) a GEMM group, a last group of one block on a 4-lane GEMM; weights
// transformed once at prepare into U[OCp / kWinoOB][(m + 2)^2][Cp][kWinoOB] int16.
#if defined(__aarch64__)
constexpr int kWinoOB = 8;  // output channels per GEMM tile (SMLAL/SMLAL2 by element: 16 accumulators)
#else
constexpr int kWinoOB = 4;
#endif
struct NeonWino {
    int32_t C, OC, H, W, OH, OW, pt, pl;
    int32_t x_zp, out_zp, act_min, act_max;
    const int16_t* U;                           // the transformed weights
    const int32_t *bias, *mult, *shift;         // [OC]; bias with the zero point folded in
    int32_t m;                                  // output tile: 2 (F(2x2, 3x3)) or 4 (F(4x4, 3x3))
    int32_t Cp, OCp, TH, TW, nbx, PH, PW, nxi;  // set by wino_s8_geometry
};
void wino_s8_geometry(NeonWino& p);
// Whether F(2x2) is exact for every output channel's C * 9 weights (4 * 128 * sum |w| < 2^31).
bool wino_s8_fits(const int8_t* w, int32_t OC, int32_t C);
// The tile (4, 2, or 0: neither is exact) of fewest GEMM products for p's geometry among the
// exact ones; F(4x4) needs |bias| + 128 * sum |w| < 2^25 and shift <= 5 per output channel
// (p.bias, p.mult, p.shift set). Sets p.m and the geometry.
int wino_s8_pick(NeonWino& p, const int8_t* w);
inline size_t wino_s8_weight_bytes(const NeonWino& p) { return (size_t)p.OCp * p.nxi * p.Cp * sizeof(int16_t); }
// w: [OC][C][3][3] -> U
void wino_s8_weights(const NeonWino& p, const int8_t* w, int16_t* U);
// The padded input (the zero point around it): run scratch of plane_bytes.
// (F(4x4): + 32 bytes, as a block's last VLD4 may read past the last row.)
inline size_t wino_s8_plane_bytes(const NeonWino& p) { return (size_t)p.C * p.PH * p.PW + 32; }
void wino_s8_pad(const NeonWino& p, const int8_t* x, int8_t* P);
// Blocks of 4 output tiles; groups of 2 blocks: [0, wino_s8_group_count); per thread scratch of thread_bytes.
inline int64_t wino_s8_blocks(const NeonWino& p) {
    return p.m == 4 ? ((int64_t)p.TH * p.TW + 3) / 4 : (int64_t)p.TH * p.nbx;
}
inline int64_t wino_s8_group_count(const NeonWino& p) { return (wino_s8_blocks(p) + 1) / 2; }
inline size_t wino_s8_thread_bytes(const NeonWino& p) {
    return (size_t)p.nxi * p.Cp * 8 * sizeof(int16_t) + (size_t)p.nxi * kWinoOB * 8 * sizeof(int32_t);
}
void wino_s8_groups(const NeonWino& p, const int8_t* P, int64_t g0, int64_t g1, void* scratch, int8_t* y);

#if SDK_FEATURE_DOTPROD
// The output rows of a plane already padded by dw3x3_plane_neon (P: padded rows of pw
// bytes; bias: the zero point folded in) with SDOT: one instruction sums a kernel row's 3
// taps for 4 outputs, each 32-bit lane reading the 4 bytes at its output's first tap
// (gathered by TBL) against (w0, w1, w2, 0). Returns false (nothing done) when this
// compiler could not build the ARMv8.2 object.
bool dw3x3_rows_dotprod(const NeonDw3x3& p, int32_t pw, const int8_t* P, const int8_t* w9, int32_t bias,
                        int32_t mult, int32_t shift, int8_t* y);
#endif

}  // namespace s8
}  // namespace sdk

#endif
