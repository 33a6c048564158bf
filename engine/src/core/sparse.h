// Sparse constant weights (.sdkm 1.3, TensorRec encoding 2; docs/sdkm-format.md).
//
// Compiled in only with the Meson option `sparse` (SDK_FEATURE_SPARSE): `sdkbuild build`
// turns it on when one of the SDK's models stores a weight sparse. The loader checks the
// payload once (sparse_check); the ops then read it through sparse_view without checks.
//
// Payload (little-endian, 4-byte aligned in CONST), a CSR matrix of R rows and K columns:
//   u32 R, u32 K, u32 nnz, u32 flags (bit 0: the rows are the tensor's LAST dimension,
//   i.e. the matrix is the tensor transposed; bit 1: 32-bit column indices, else 16-bit)
//   u32 row_ptr[R + 1]   (row_ptr[0] = 0, non-decreasing, row_ptr[R] = nnz)
//   u16 or u32 col[nnz]  (strictly increasing within a row, < K), zero padding to 4 bytes
//   f32 values[nnz]
#pragma once

#include <stdint.h>
#include <string.h>

#include "core/op.h"

namespace sdk {

constexpr uint32_t kTensorSparse = 8;  // in-memory Tensor::flags bit (never in a file)
constexpr uint32_t kSparseTransposed = 1, kSparseIdx32 = 2;

struct SparseView {
    int32_t rows, cols, nnz;
    uint32_t flags;
    const uint32_t* row_ptr;
    const void* idx;  // uint16_t or uint32_t per kSparseIdx32
    const float* values;

    int32_t col(int64_t j) const {
        return (flags & kSparseIdx32) ? (int32_t) static_cast<const uint32_t*>(idx)[j]
                                      : (int32_t) static_cast<const uint16_t*>(idx)[j];
    }
};

// The view of a payload sparse_check accepted (the loader keeps it as Tensor::const_data).
inline SparseView sparse_view(const void* payload) {
    const uint8_t* p = static_cast<const uint8_t*>(payload);
    uint32_t h[4];
    memcpy(h, p, sizeof h);
    SparseView v;
    v.rows = (int32_t)h[0];
    v.cols = (int32_t)h[1];
    v.nnz = (int32_t)h[2];
    v.flags = h[3];
    v.row_ptr = reinterpret_cast<const uint32_t*>(p + 16);
    const uint8_t* ip = p + 16 + 4 * (uint64_t(h[0]) + 1);
    v.idx = ip;
    const uint64_t ib = uint64_t(h[2]) * ((h[3] & kSparseIdx32) ? 4 : 2);
    v.values = reinterpret_cast<const float*>(ip + ((ib + 3) & ~uint64_t(3)));
    return v;
}

// Row pointers non-decreasing, each row's columns increasing and < K (one pass, no branch on
// the index width inside).
template <typename I>
inline const char* sparse_check_rows(const uint32_t* row_ptr, const I* col, uint64_t R, uint64_t K, uint64_t nnz) {
    for (uint64_t r = 0; r < R; ++r) {
        const uint32_t a = row_ptr[r], b = row_ptr[r + 1];
        if (b < a || b > nnz) return "row pointers decrease";
        uint64_t next = 0;  // the smallest column the next nonzero may have
        for (uint32_t j = a; j < b; ++j) {
            if ((uint64_t)col[j] < next) return "column indices not increasing";
            next = (uint64_t)col[j] + 1;
        }
        if (next > K) return "column indices out of range";
    }
    return nullptr;
}

// nullptr when `size` bytes at p (4-byte aligned) are a valid payload for a tensor of shape
// s, else what is wrong. O(R + nnz).
inline const char* sparse_check(const uint8_t* p, uint64_t size, const Shape& s) {
    if (size < 16) return "shorter than its header";
    uint32_t h[4];
    memcpy(h, p, sizeof h);
    const uint64_t R = h[0], K = h[1], nnz = h[2];
    const uint32_t flags = h[3];
    if (flags & ~3u) return "unknown flags";
    if (s.rank < 1) return "a scalar cannot be sparse";
    const uint64_t rows = (flags & kSparseTransposed) ? (uint64_t)s.dims[s.rank - 1] : (uint64_t)s.dims[0];
    if (R != rows || R * K != (uint64_t)s.count()) return "its rows x columns do not match the shape";
    if (nnz > R * K) return "more nonzeros than elements";
    if (!(flags & kSparseIdx32) && K > 65536) return "16-bit column indices for more than 65536 columns";
    const uint64_t ib = nnz * ((flags & kSparseIdx32) ? 4 : 2);
    if (size != 16 + 4 * (R + 1) + ((ib + 3) & ~uint64_t(3)) + 4 * nnz) return "its size does not match its counts";
    SparseView v = sparse_view(p);
    if (v.row_ptr[0] != 0 || v.row_ptr[R] != nnz) return "row pointers do not start at 0 and end at the nonzero count";
    return (flags & kSparseIdx32) ? sparse_check_rows(v.row_ptr, static_cast<const uint32_t*>(v.idx), R, K, nnz)
                                  : sparse_check_rows(v.row_ptr, static_cast<const uint16_t*>(v.idx), R, K, nnz);
}

}  // namespace sdk
