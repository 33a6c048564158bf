// Reference kernels of the data-movement and normalization ops. Each function is defined
// in its op's kernel file (kernels/ref/<op>[_f32].cpp), compiled only with that op.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/op.h"

namespace sdk {
namespace ref {

// GlobalAveragePool: y[p] = mean of x[p * spatial .. (p + 1) * spatial), p < planes.
void globalaveragepool_f32(const float* x, float* y, int64_t planes, int64_t spatial, ThreadPool* pool);

// Softmax along an axis of extent n; outer/inner are the products of the dims before/after.
void softmax_f32(const float* x, float* y, int64_t outer, int64_t n, int64_t inner, ThreadPool* pool);

// LRN across channels of NC<spatial> data.
struct LrnParams {
    int32_t N, C;
    int64_t inner;  // product of the spatial dims
    int32_t size;
    float alpha, beta, bias;
};
void lrn_f32(const LrnParams& p, const float* x, float* y, ThreadPool* pool);

// Concat (dtype-independent, kernels/ref/concat.cpp): input i contributes chunk[i] bytes
// per outer step; the output row is the sum of the chunks.
void concat_copy(int num_inputs, const void* const* inputs, const int64_t* chunk_bytes, int64_t outer, void* y);

// Transpose (dtype-independent, kernels/ref/transpose.cpp): output dims `dims`
// (rank r), element (i0..ir-1) reads x[sum(i_k * in_strides[k])] (strides in elements).
struct TransposeParams {
    int32_t rank;
    int64_t dims[kMaxRank];
    int64_t in_strides[kMaxRank];
    int32_t elem_size;
};
void transpose_copy(const TransposeParams& p, const void* x, void* y);

// Pad (fp32, kernels/ref/pad_f32.cpp).
enum PadMode : int32_t { kPadConstant = 0, kPadReflect = 1, kPadEdge = 2 };
struct PadParams {
    int32_t rank;
    int32_t in_dims[kMaxRank];
    int32_t out_dims[kMaxRank];
    int32_t begin[kMaxRank];
    int32_t mode;
    float value;
};
void pad_f32(const PadParams& p, const float* x, float* y);

}  // namespace ref
}  // namespace sdk
