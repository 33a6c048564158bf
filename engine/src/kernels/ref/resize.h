// Resize (ONNX Resize / Upsample) kernels, the `resize` group:
//   kernels/ref/resize.cpp      the per-axis sampling tables (prepare time), nearest (any
//                               element size) and the extrapolation fix-up
//   kernels/ref/resize_f32.cpp  linear / cubic / antialias fp32: separable
//   kernels/ref/resize_s8.cpp   linear / cubic / antialias int8: the same taps in Q11
//   kernels/{neon,x86}/resize*.cpp  SIMD row blends and the 2x nearest row
//
// Every axis gets a table at prepare time: per output coordinate, ntaps input indices
// (clamped into the input: ONNX's edge padding) and weights, computed in double exactly as
// the ONNX reference does (coordinate transform, ratio, neighbour window, coefficients,
// exclude_outside), plus a flag per coordinate that tf_crop_and_resize puts outside the
// input (the output there is extrapolation_value). Interpolation is separable: the last two
// axes in one pass per image (each input row resized along W once into a small row cache,
// output rows blended from ntaps cached rows), any other resized axis as its own row-blend
// pass through scratch memory.
#pragma once

#include <stdint.h>

#include "core/op.h"

namespace sdk {
namespace ref {

enum ResizeMode : int32_t { kResizeNearest = 0, kResizeLinear = 1, kResizeCubic = 2 };
enum ResizeCoord : int32_t {
    kCoordHalfPixel = 0,
    kCoordHalfPixelSymmetric = 1,
    kCoordPytorchHalfPixel = 2,
    kCoordAlignCorners = 3,
    kCoordAsymmetric = 4,
    kCoordTfHalfPixelForNN = 5,
    kCoordTfCropAndResize = 6,
};
enum ResizeNearestMode : int32_t { kRoundPreferFloor = 0, kRoundPreferCeil = 1, kFloor = 2, kCeil = 3 };

struct ResizeAxisSpec {
    int32_t in, out;
    double scale;   // the coordinate transform's scale (given, or out / in)
    double roi[2];  // tf_crop_and_resize's [start, end] for this axis
};
struct ResizeSpec {
    int32_t mode, coord, nearest_mode;
    double cubic_a;
    bool exclude_outside, antialias;
};

struct ResizeAxis {
    int32_t in, out;
    int32_t ntaps;          // taps per output coordinate (nearest: 1)
    bool identity;          // out == in and every output reads its own input with weight 1
    const int32_t* idx;     // [out * ntaps], clamped into [0, in)
    const float* w;         // [out * ntaps] (linear / cubic)
    const int16_t* wq;      // [out * ntaps] Q11, summing to exactly 2048 (int8)
    const uint8_t* outside; // [out] or nullptr (tf_crop_and_resize)
};

// Number of taps of an axis (nearest 1, linear 2, cubic 4, antialias: wider when
// downsampling; more than kResizeMaxTaps: the op refuses it).
constexpr int32_t kResizeMaxTaps = 1024;
int32_t resize_ntaps(const ResizeSpec& s, const ResizeAxisSpec& a);
// Fills idx/w/wq/outside (arrays of out * ntaps, out * ntaps, out * ntaps, out; wq and
// outside may be nullptr) and returns whether the axis is the identity. Coordinates in
// double, as the ONNX reference computes them.
bool resize_axis_table(const ResizeSpec& s, const ResizeAxisSpec& a, int32_t ntaps, int32_t* idx, float* w,
                       int16_t* wq, uint8_t* outside);

struct ResizePlan {
    int32_t rank;       // >= 1; axes H = rank - 2 (virtual when rank 1) and W = rank - 1
    int32_t elem_size;  // nearest: any; linear/cubic: 4 (f32) or 1 (int8)
    int32_t mode;
    bool any_outside;
    bool dup2_w;        // nearest W axis is exactly out[j] = in[j / 2]
    uint64_t extrap;    // extrapolation_value in the tensor's encoding
    int64_t in_dims[kMaxRank], out_dims[kMaxRank];
    ResizeAxis ax[kMaxRank];
    ResizeAxis h, w;    // the fused pass's tables (identity tables when that axis is not resized)
    int64_t scratch_elems;  // linear/cubic: elements of each of the two ping-pong buffers
};

// Nearest, any element size (dtype-independent, kernels/ref/resize.cpp).
void resize_nearest(const ResizePlan& p, const void* x, void* y, ThreadPool* pool);
// tf_crop_and_resize: outputs at coordinates outside the input become p.extrap.
void resize_extrapolate(const ResizePlan& p, void* y);

// Linear / cubic. Per-thread scratch: ResizePlan.h.ntaps rows of out W elements (4 bytes
// each) + h.ntaps pointers; shared scratch: 2 * scratch_elems elements.
void resize_linear_f32(const ResizePlan& p, const float* x, float* y, const RunContext& ctx);
void resize_linear_s8(const ResizePlan& p, const int8_t* x, int8_t* y, const RunContext& ctx);

// Row kernels (the SIMD tiers replace them): y[j] = sum_t w[t] * rows[t][j].
void resize_vblend_f32(const float* const* rows, const float* w, int32_t n, float* y, int64_t len);
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
void neon_resize_vblend_f32(const float* const* rows, const float* w, int32_t n, float* y, int64_t len);
void neon_resize_dup2(const void* x, void* y, int64_t in_len, int32_t elem_size);
#endif
#if SDK_FEATURE_X86
void x86_resize_vblend_avx2(const float* const* rows, const float* w, int32_t n, float* y, int64_t len);
void x86_resize_dup2_avx2(const void* x, void* y, int64_t in_len, int32_t elem_size);
// int8 (kernels/x86/resize_s8.cpp): y = clamp((sum_t w[t] * rows[t] + 2^21) >> 22) of Q11
// weights, as resize_s8.cpp's portable row
void x86_resize_vblend_s8_avx2(const int32_t* const* rows, const int16_t* w, int32_t n, int8_t* y, int64_t len);
#endif
// Whether the SIMD row kernels run: NEON builds always, x86 builds on CPUs with AVX2 + FMA;
// SDK_F32_GEMM=ref turns them off (as it does the other fp32 SIMD tiers). Test hook: 1 on
// (where supported), 0 off, -1 back to auto.
bool resize_simd();
void resize_set_simd(int on);

}  // namespace ref
}  // namespace sdk
