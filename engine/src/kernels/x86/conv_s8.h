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

// Pixel-lane kinds: AVX2 (K in int16 pairs, VPMADDWD) or AVX512-VNNI on YMM registers
// (K in quads of bytes, VPDPBUSD: unsigned x signed bytes, so the panels hold x + 128
// and the bias has 128 * sum(w) taken off; exact, no intermediate saturation).
enum PlKind { kPlNone = 0, kPlAvx2 = 1, kPlVnni = 2 };

// The best kind this CPU runs; SDK_INT8_GEMM=ref gives kPlNone, =avx2 / =vnni force one
// (kPlNone when the CPU lacks it).
int pl_kind();

// Whether the VNNI kind runs its rows on ZMM registers (512-bit VPDPBUSD; the default on
// AVX-512 CPUs) or YMM (SDK_INT8_ZMM=0, read once per process).
bool pl_zmm();

// K groups: pairs (AVX2) or quads (VNNI).
static inline int32_t pl_groups(int kind, int32_t K) { return kind == kPlVnni ? (K + 3) / 4 : (K + 1) / 2; }

struct PlGemm {
    int32_t kg;            // K groups, pl_groups()
    const int32_t* w;      // [M][kg] packed groups, see pl_pack_weights
    const int32_t* bias;   // [M], input zero point folded in (VNNI: and the +128 shift)
    const int32_t* mult;   // [M]
    const int32_t* shift;  // [M]
    int32_t out_zp, act_min, act_max;
};

// Bytes of the panels for `pixels` columns (rounded up to whole panels): 64 per group.
static inline size_t pl_panel_bytes(int32_t kg, int32_t pixels) {
    return (size_t)((pixels + kPlNR - 1) / kPlNR) * (size_t)kg * kPlNR * 4;
}

// w: [M][K] int8 -> wout: [M][kg] groups (the K tail padded with zero weights);
// bias_out[m] = bias_in[m] (VNNI: minus 128 * sum_k w[m][k]). bias_out may be bias_in.
void pl_pack_weights(int kind, const int8_t* w, int32_t M, int32_t K, const int32_t* bias_in, int32_t* wout,
                     int32_t* bias_out);

// Packs `pixels` columns of K rows (row r at rows + r * row_stride, pixels contiguous)
// into panels (pl_panel_bytes bytes; reads exactly `pixels` bytes per row).
void pl_pack(int kind, const int8_t* rows, int64_t row_stride, int32_t K, int32_t pixels, void* panels);

// im2col straight into panels (one pass, no K-major rows): output pixels [p0, p0 + pixels)
// of a conv with stride sw 1 or 2 (any sh, dilation), reading a padded copy of the input
// rows they use (every tap inside it: zero point around the image) with kPlColsGuard
// readable bytes before and after it (lane loads of a panel reach up to 32 bytes outside
// the taps they use). Same panels as pl_pack of the K-major im2col rows.
struct PlCols {
    const int8_t* src;  // the group's first channel: padded rows of Wp from row r0 on, planes `plane` bytes apart
    int64_t plane;
    int32_t Wp, OW, KH, KW, sh, sw, dh, dw, K;
    int32_t r0;  // the padded row src starts at (output row oh reads from row oh * sh on)
};
constexpr int32_t kPlColsGuard = 64;
void pl_im2col(int kind, const PlCols& q, int32_t p0, int32_t pixels, void* panels);

// y[m * ys_m + p] for rows [m0, m1) and pixels [0, pixels) of the packed panels.
void pl_gemm(int kind, const PlGemm& g, const void* panels, int32_t pixels, int32_t m0, int32_t m1, int8_t* y,
             int64_t ys_m);

// dst[i] = src[2 * i] for i in [0, n), 16 at a time, never reading at or past src_end;
// returns how many it did (the caller finishes the rest). For the stride-2 im2col.
int32_t gather_s2_avx2(const int8_t* src, int32_t n, const int8_t* src_end, int8_t* dst);

// Depthwise 3x3 or 5x5 (k), stride 1 or 2 (same both ways), dilation dil (same both
// ways; > 1 only on the AVX2 rows): one plane.
struct Dw3x3 {
    int32_t H, W, OH, OW, stride, pt, pl;
    int32_t x_zp, out_zp, act_min, act_max;
    // AVX512-VNNI rows (planes wider than 16 outputs): the plane is kept as x + 128, and
    // one VPDPBUSD against (w0, w1, w2, 0) sums a row's 3 taps for 8 pixels, each 32-bit
    // lane reading the 4 bytes at its pixel's first tap (32 pixels per block; planes of
    // stride 1 and at most 16 outputs wide: 16 pixels of two output rows). 5x5: two
    // VPDPBUSD per row, (w0..w3) at the pixel's first tap and (w4, 0, 0, 0) 4 bytes on.
    bool vnni;
    int32_t k;    // 3 or 5
    int32_t dil;  // dilation (both ways; the VNNI rows need 1)
};
// Whether the VNNI rows suit a plane of this geometry on this CPU (kind: pl_kind()).
// Narrow stride-1 planes (OW <= 16) put two output rows in one block.
static inline bool dw3x3_use_vnni(int kind, int32_t OW, int32_t stride) {
    return kind == kPlVnni && (OW > 16 || stride == 1);
}
// Scratch for one plane: the input with its padding (and vector overrun) filled in.
size_t dw3x3_scratch_bytes(const Dw3x3& p);
// Fills the borders of the scratch with the input zero point; needed once per
// scratch before a run of dw3x3_plane_avx2 calls of one geometry.
void dw3x3_init_scratch(const Dw3x3& p, int8_t* scratch);
// y (OH x OW) = requant(bias + sum_taps w * (x - x_zp)) of one channel plane x (H x W);
// w: the k * k taps.
void dw3x3_plane_avx2(const Dw3x3& p, const int8_t* x, const int8_t* w, int32_t bias, int32_t mult, int32_t shift,
                      int8_t* scratch, int8_t* y);

// Depthwise 1x1 (stride 1, no padding: a per-channel affine map, e.g. a BatchNormalization
// no conv absorbed, quantize.affine_chains_to_depthwise) of one plane of n values:
// y = clamp(mbqm(bias + w * (x - x_zp)) + out_zp, act_min, act_max), 16 per step.
void dw1x1_plane_avx2(const int8_t* x, int64_t n, int32_t w, int32_t bias, int32_t mult, int32_t shift, int32_t x_zp,
                      int32_t out_zp, int32_t act_min, int32_t act_max, int8_t* y);

}  // namespace s8
}  // namespace sdk

#endif
