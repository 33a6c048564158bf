// Reference kernels of the indexing ops (any data dtype: elements of 1, 2, 4 or 8 bytes
// are moved without looking at them; ScatterND's reductions are typed). Indices are int32
// or int64, negative ones count from the end; every index is range-checked before any
// data moves, and a kernel returns the position of the first bad index (-1 when all are
// good) so the op can report it. Each function is defined in its op's kernel file
// (kernels/ref/<op>.cpp), compiled only with that op.
#pragma once

#include <stdint.h>

#include "core/op.h"

namespace sdk {
namespace ref {

inline int64_t load_index(const void* p, bool i64, int64_t k) {
    return i64 ? static_cast<const int64_t*>(p)[k] : static_cast<const int32_t*>(p)[k];
}

// Gather along an axis: y[o, j, :] = x[o, idx[j], :] (a block of block_bytes per index).
struct GatherParams {
    int64_t outer, axis_dim, n_idx, block_bytes;
    bool idx64;
};
int64_t gather_copy(const GatherParams& p, const void* x, const void* idx, void* y);

// GatherElements: y[i] = x[i with i[axis] replaced by idx[i]] over the indices' shape.
struct GatherElementsParams {
    int32_t rank, axis, elem_size;
    bool idx64;
    int64_t dims[kMaxRank];       // the indices' (= output) shape
    int64_t x_strides[kMaxRank];  // elements
    int64_t axis_dim;             // x's extent along axis
};
int64_t gather_elements_copy(const GatherElementsParams& p, const void* x, const void* idx, void* y);

// GatherND / ScatterND: `batch` groups (GatherND's batch_dims) of `tuples` index tuples of
// k entries each; tuple t addresses the block x[b, i0..ik-1, :] of block elements.
struct NdParams {
    int32_t k, elem_size;
    bool idx64;
    int64_t batch, tuples, block;
    int64_t dims[kMaxRank];     // x's extents along the k indexed dims
    int64_t strides[kMaxRank];  // x's strides (elements) along them
    int64_t batch_stride;       // x's elements per batch group
};
int64_t gather_nd_copy(const NdParams& p, const void* x, const void* idx, void* y);
// ScatterND: y (already a copy of the data) gets the updates, reduction 0 none, 1 add,
// 2 mul, 3 max, 4 min (typed: dtype F32, I32 or I64 for reductions).
enum ScatterReduction : int32_t { kScatterNone = 0, kScatterAdd = 1, kScatterMul = 2, kScatterMax = 3, kScatterMin = 4 };
int64_t scatter_nd(const NdParams& p, int32_t reduction, DType dtype, const void* idx, const void* updates, void* y);

// Trilu on `batch` matrices of rows x cols: keeps j - i >= k (upper) or j - i <= k (lower),
// the rest becomes the element `zero` (its elem_size bytes). x may equal y.
struct TriluParams {
    int64_t batch, rows, cols, k;
    int32_t upper, elem_size;
    uint64_t zero;
};
void trilu_copy(const TriluParams& p, const void* x, void* y);

}  // namespace ref
}  // namespace sdk
