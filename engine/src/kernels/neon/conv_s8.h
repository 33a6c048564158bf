// NEON int8 depthwise 3x3 convolution (kernels/neon/conv_s8.cpp; ARMv7 and AArch64),
// chosen by kernels/ref/conv_s8.cpp with the NEON int8 tier (SDK_INT8_GEMM=ref keeps the
// portable loops). Bit-exact with the ref: integer arithmetic, the same requantization.
#pragma once

#include <stddef.h>
#include <stdint.h>

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
struct NeonIm2col {
    const int8_t* src;
    int64_t plane, limit;
    int32_t rs, KH, KW, dh, dw, sw, kg, kp;
};
void im2col_neon(const NeonIm2col& q, const int32_t* pix, int32_t np, int8_t* out);

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
