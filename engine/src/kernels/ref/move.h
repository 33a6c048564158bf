// Reference kernels of the data-movement ops (any dtype: they move elements of 1, 2, 4 or
// 8 bytes without looking at them). Each function is defined in its op's (or group's)
// kernel file, compiled only with that op.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/op.h"

namespace sdk {
namespace ref {

// One element of es bytes (1, 2, 4 or 8): a switch rather than a memcpy call per element.
inline void copy_element(void* dst, const void* src, size_t es) {
    switch (es) {
        case 8: *static_cast<uint64_t*>(dst) = *static_cast<const uint64_t*>(src); break;
        case 4: *static_cast<uint32_t*>(dst) = *static_cast<const uint32_t*>(src); break;
        case 2: *static_cast<uint16_t*>(dst) = *static_cast<const uint16_t*>(src); break;
        default: *static_cast<uint8_t*>(dst) = *static_cast<const uint8_t*>(src); break;
    }
}

// Concat (kernels/ref/concat.cpp): input i contributes chunk[i] bytes per outer step; the
// output row is the sum of the chunks.
// Split over the pool in 4 KB blocks of the output.
void concat_copy(int num_inputs, const void* const* inputs, const int64_t* chunk_bytes, int64_t outer, void* y,
                 ThreadPool* pool);
#if SDK_FEATURE_X86
// x86: one outer step on 2+ threads split so that each thread copies the same share of every
// input, or of every plane (plane_bytes: the bytes of one position along the axis); else as above
void concat_copy_x86(int num_inputs, const void* const* inputs, const int64_t* chunk_bytes, int64_t outer,
                     int64_t plane_bytes, void* y, ThreadPool* pool);
#endif

// Strided copy, the `transpose` kernel group (kernels/ref/transpose.cpp) shared by
// Transpose, Slice and Expand: output dims `dims` (rank r, row-major, contiguous), element
// (i0..ir-1) reads x[sum(i_k * in_strides[k])] (strides in elements; negative for a Slice
// with negative steps, 0 for a broadcast dim of Expand).
struct TransposeParams {
    int32_t rank;
    int64_t dims[kMaxRank];
    int64_t in_strides[kMaxRank];
    int32_t elem_size;  // 1, 2, 4 or 8
};
// Drops size-1 dims and merges neighbours the walk can take as one (in_strides[k - 1] ==
// dims[k] * in_strides[k]): a channel shuffle becomes a few long memcpy runs, NCHW->NHWC
// one 2-D transpose per image. Leaves at least one dim.
void strided_simplify(TransposeParams& p);
// Rows of the output in parallel when the pool has threads and the copy is large.
void transpose_copy(const TransposeParams& p, const void* x, void* y, ThreadPool* pool = nullptr);

// Pad (kernels/ref/pad.cpp): any element size; modes constant / reflect / edge / wrap; the
// input window [crop, crop + in_dims) of each dim (negative ONNX pads crop) padded by
// `begin` in front and up to out_dims.
enum PadMode : int32_t { kPadConstant = 0, kPadReflect = 1, kPadEdge = 2, kPadWrap = 3 };
struct PadParams {
    int32_t rank;
    int32_t mode;
    int32_t elem_size;
    int64_t in_dims[kMaxRank];     // the (cropped) window
    int64_t out_dims[kMaxRank];
    int64_t begin[kMaxRank];       // >= 0
    int64_t in_strides[kMaxRank];  // of the whole input, elements
    int64_t offset;                // elements: where the window starts
    uint64_t value;                // the constant's bytes (elem_size of them)
};
void pad_copy(const PadParams& p, const void* x, void* y);

}  // namespace ref
}  // namespace sdk
