// AVX2 int8 MaxPool / AveragePool planes (x86 / x86_64; kernels/x86/{maxpool,averagepool}_s8.cpp),
// bit-exact with the ref planes (kernels/ref/{maxpool,averagepool}_s8.cpp), called only after
// s8::cpu_has_avx2(). Any kernel size and stride, dilation 1 (AveragePool: at most 255 taps,
// so that the int16 window sums are exact): the plane is copied into a padded plane in the
// thread's scratch (MaxPool pads with -128, which never wins; AveragePool with the zero
// point inside the declared pads when count_include_pad, else 0), then per output row the
// kernel rows are reduced vertically (32 / 16 columns a step), the window horizontally at
// every column, and the columns of the output stride picked; AveragePool divides by the
// tap count (valid or padded taps: a product of a row and a column count) in float, exact
// for these small integers, with the ref's round-half-away.
#pragma once

#include <stddef.h>
#include <stdint.h>

#if SDK_FEATURE_X86

namespace sdk {
namespace s8 {

struct PoolGeom;

// Whether the AVX2 planes take this geometry (avg: AveragePool's limits too).
bool pool_s8_x86_fits(const PoolGeom& g, bool avg);
// Thread scratch one plane needs.
size_t pool_s8_x86_scratch(const PoolGeom& g);
void maxpool_plane_s8_avx2(const PoolGeom& g, const int8_t* x, int8_t* y, void* scratch);
void averagepool_plane_s8_avx2(const PoolGeom& g, int32_t zp, const int8_t* x, int8_t* y, void* scratch);

// The padded plane's extent: every tap of every output, and the input at (pt, pl).
struct PoolPad {
    int32_t PH, PW;   // rows, columns (PW: + vector slack)
    int32_t cols;     // columns the horizontal step computes: (OW - 1) * sw + 1
};
PoolPad pool_s8_x86_pad(const PoolGeom& g);

}  // namespace s8
}  // namespace sdk

#endif
