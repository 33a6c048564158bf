// Sparse weights x dense activations (fp32), the kernels of sparse-stored weights
// (core/sparse.h; ops/sparse_op.h runs 1x1 Conv, Gemm and MatMul on them):
//
//     Y[m][p] = act(b[m] + sum over the nonzeros W[m][k] of W[m][k] * X[k][p])
//
// X is [K][P] and Y [M][P], row-major: for a 1x1 convolution P is the image's pixels (NCHW
// as it is, XNNPACK's "NCHW SpMM" design), for Gemm/MatMul the rows of A (transposed). Each
// output row walks its nonzeros once per tile of pixels, loading that many contiguous
// pixels of X's row k per nonzero: the zeros cost nothing, the pixels are the vector lanes.
// Compiled only with the Meson option `sparse` (kernels/<isa>/spmm_f32*.cpp).
#pragma once

#include <stdint.h>

#include "core/op.h"
#include "kernels/ref/act_f32.h"

namespace sdk {
namespace ref {

struct SpmmPlan {
    int32_t M, K, P;
    const uint32_t* row_ptr;  // M + 1: row m's nonzeros are [row_ptr[m], row_ptr[m + 1])
    const int32_t* xoff;      // per nonzero: k * P, the element offset of X's row k
    const float* values;      // per nonzero
    ActParams act;
};

// Rows [m0, m1) of Y with the best kernel of the build (AVX2, NEON, else the portable one).
void spmm_f32_rows(const SpmmPlan& s, const float* x, const float* b, float* y, int64_t m0, int64_t m1);
// The portable kernel (the reference the SIMD ones are tested against).
void spmm_f32_rows_ref(const SpmmPlan& s, const float* x, const float* b, float* y, int64_t m0, int64_t m1);
// All of Y, split over the pool by rows.
void spmm_f32(const SpmmPlan& s, const float* x, const float* b, float* y, ThreadPool* pool);

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))  // kernels/x86/spmm_f32.cpp
void x86_spmm_rows_avx2(const SpmmPlan& s, const float* x, const float* b, float* y, int64_t m0, int64_t m1);
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)  // kernels/neon/spmm_f32.cpp (AArch64 and ARMv7)
void neon_spmm_rows(const SpmmPlan& s, const float* x, const float* b, float* y, int64_t m0, int64_t m1);
#endif

}  // namespace ref
}  // namespace sdk
