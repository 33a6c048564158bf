// Helpers shared by the indexing ops (Gather, GatherElements, GatherND, ScatterND):
// int32/int64 index tensors and the run-time error for an index out of range (the indices
// are often model inputs, e.g. token ids, so a bad one is the caller's input, not a broken
// model). Header-only.
#pragma once

#include "core/op.h"
#include "core/status.h"
#include "kernels/ref/index.h"
#include "ops/op_util.h"

namespace sdk {
namespace idx {

inline sdk_status check_indices(PrepareContext& ctx, int i, bool* i64) {
    const Tensor& t = *ctx.input(i);
    if (t.dtype != DType::I32 && t.dtype != DType::I64)
        return ctx.fail(SDK_ERR_BAD_MODEL, "indices '%s' are %s; they must be i32 or i64", t.name, dtype_name(t.dtype));
    *i64 = t.dtype == DType::I64;
    return SDK_OK;
}

// After a kernel returned position `pos` (>= 0) of a bad index in input i.
inline sdk_status bad_index(const RunContext& ctx, int i, int64_t pos, int64_t extent) {
    const int64_t v = ref::load_index(ctx.in_data[i], ctx.input(i).dtype == DType::I64, pos);
    return set_error(SDK_ERR_INVALID_ARGUMENT, "index %lld (element %lld of '%.64s') is out of range [-%lld, %lld)",
                     (long long)v, (long long)pos, ctx.input(i).name, (long long)extent, (long long)extent);
}

}  // namespace idx
}  // namespace sdk

namespace sdk {
namespace idx {

// GatherND / ScatterND geometry: data x, indices (last dim k), the first `batch_dims` dims
// shared. Fills p (but batch/tuples/idx64 for the caller to check); false after ctx.fail.
inline bool nd_geometry(PrepareContext& ctx, const Tensor& x, const Tensor& ix, int batch_dims, ref::NdParams* p) {
    const int r = x.shape.rank, q = ix.shape.rank;
    if (q < 1) {
        ctx.fail(SDK_ERR_BAD_MODEL, "indices '%s' are a scalar; they need rank >= 1", ix.name);
        return false;
    }
    const int k = ix.shape.dims[q - 1];
    if (batch_dims < 0 || batch_dims >= q || batch_dims >= r || k < 1 || k > r - batch_dims) {
        ctx.fail(SDK_ERR_BAD_MODEL, "indices of shape [..., %d] with batch_dims %d do not fit data of rank %d", k,
                 batch_dims, r);
        return false;
    }
    p->k = k;
    p->batch = 1;
    for (int i = 0; i < batch_dims; ++i) {
        if (ix.shape.dims[i] != x.shape.dims[i]) {
            ctx.fail(SDK_ERR_BAD_MODEL, "batch dim %d differs: indices %d, data %d", i, ix.shape.dims[i], x.shape.dims[i]);
            return false;
        }
        p->batch *= x.shape.dims[i];
    }
    p->tuples = 1;
    for (int i = batch_dims; i < q - 1; ++i) p->tuples *= ix.shape.dims[i];
    p->block = 1;
    for (int i = batch_dims + k; i < r; ++i) p->block *= x.shape.dims[i];
    int64_t s = p->block;
    for (int j = k - 1; j >= 0; --j) {
        p->dims[j] = x.shape.dims[batch_dims + j];
        p->strides[j] = s;
        s *= p->dims[j];
    }
    p->batch_stride = s;
    p->elem_size = (int32_t)dtype_size(x.dtype);
    return true;
}

}  // namespace idx
}  // namespace sdk
