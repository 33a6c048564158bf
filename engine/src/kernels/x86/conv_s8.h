// AVX2 int8 convolution kernels (x86 / x86_64, chosen at run time after
// s8::cpu_has_avx2(); kernels/ref/conv_s8.cpp owns the op and falls back to the portable
// path). All bit-exact with the ref tier: integer arithmetic, the same requantization.
//
// "Pixel-lane" GEMM: output pixels live in vector lanes (like the fp32 kernels), so no
// horizontal sums. K is taken in pairs: weights are int16 pairs (w[k], w[k+1]) per row,
// broadcast as one dword; input panels hold 16 pixels x K/2 pairs of int16, and one
// VPMADDWD yields 8 pixels' two-tap sums in int32 (|x| <= 128, |w| <= 127: exact).
// Panel pixel order inside a panel: lanes 0-3 | 8-11 in the first vector, 4-7 | 12-15 in
// the second (what the in-lane unpack/pack instructions give, so the epilogue needs no
// permute).
#pragma once

#include <stddef.h>
#include <stdint.h>

#if SDK_FEATURE_X86

namespace sdk {
namespace s8 {

constexpr int kPlNR = 16;  // pixels per panel

struct PlGemm {
    int32_t k2;            // K pairs (K rounded up to even, halved)
    const int32_t* w;      // [M][k2] int16 pairs, see pl_pack_weights
    const int32_t* bias;   // [M], input zero point folded in
    const int32_t* mult;   // [M]
    const int32_t* shift;  // [M]
    int32_t out_zp, act_min, act_max;
};

// Bytes of the panels for `pixels` columns (rounded up to whole panels).
static inline size_t pl_panel_bytes(int32_t k2, int32_t pixels) {
    return (size_t)((pixels + kPlNR - 1) / kPlNR) * (size_t)k2 * kPlNR * 4;
}

// w: [M][K] int8 -> out: [M][k2] pairs (the odd K tail pairs with a zero weight).
void pl_pack_weights(const int8_t* w, int32_t M, int32_t K, int32_t* out);

// Packs `pixels` columns of K rows (row r at rows + r * row_stride, pixels contiguous)
// into panels (pl_panel_bytes(k2, pixels) bytes; reads exactly `pixels` bytes per row).
void pl_pack_avx2(const int8_t* rows, int64_t row_stride, int32_t K, int32_t pixels, int16_t* panels);

// y[m * ys_m + p] for rows [m0, m1) and pixels [0, pixels) of the packed panels.
void pl_gemm_avx2(const PlGemm& g, const int16_t* panels, int32_t pixels, int32_t m0, int32_t m1, int8_t* y,
                  int64_t ys_m);

// Depthwise 3x3, stride 1 or 2 (same both ways), dilation 1: one plane.
struct Dw3x3 {
    int32_t H, W, OH, OW, stride, pt, pl;
    int32_t x_zp, out_zp, act_min, act_max;
};
// Scratch for one plane: the input with its padding (and vector overrun) filled in.
size_t dw3x3_scratch_bytes(const Dw3x3& p);
// Fills the borders of the scratch with the input zero point; needed once per
// scratch before a run of dw3x3_plane_avx2 calls of one geometry.
void dw3x3_init_scratch(const Dw3x3& p, int8_t* scratch);
// y (OH x OW) = requant(bias + sum_taps w * (x - x_zp)) of one channel plane x (H x W).
void dw3x3_plane_avx2(const Dw3x3& p, const int8_t* x, const int8_t* w9, int32_t bias, int32_t mult, int32_t shift,
                      int8_t* scratch, int8_t* y);

}  // namespace s8
}  // namespace sdk

#endif
