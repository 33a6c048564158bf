// Transpose with `perm` (required; a permutation of 0..rank-1), any dtype (int8 keeps its
// quantization). The walk is simplified first (size-1 dims dropped, dims that stay
// neighbours merged), so a channel shuffle is a few memcpy runs and NCHW <-> NHWC one
// tiled 2-D transpose per image.
#include "core/op.h"
#include "kernels/ref/move.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const int r = x.shape.rank;
    if (!ctx.attr("perm")) return ctx.fail(SDK_ERR_BAD_MODEL, "attribute 'perm' is required");
    int32_t perm[kMaxRank];
    if ((st = opu::ints_exact(ctx, "perm", perm, r, perm)) != SDK_OK) return st;
    bool seen[kMaxRank] = {false, false, false, false, false, false};
    for (int i = 0; i < r; ++i) {
        if (perm[i] < 0 || perm[i] >= r || seen[perm[i]])
            return ctx.fail(SDK_ERR_BAD_MODEL, "perm is not a permutation of 0..%d", r - 1);
        seen[perm[i]] = true;
    }
    if ((st = opu::check_dtype_supported(ctx, x)) != SDK_OK) return st;
    if ((st = opu::check_same_encoding(ctx, x, *ctx.output(0), "Transpose")) != SDK_OK) return st;
    Shape out;
    out.rank = r;
    ref::TransposeParams* p = opu::alloc_op_data<ref::TransposeParams>(ctx);
    if (!p) return SDK_ERR_OUT_OF_MEMORY;
    int64_t strides[kMaxRank], s = 1;
    for (int i = r - 1; i >= 0; --i) {
        strides[i] = s;
        s *= x.shape.dims[i];
    }
    p->rank = r;
    for (int i = 0; i < r; ++i) {
        out.dims[i] = x.shape.dims[perm[i]];
        p->dims[i] = out.dims[i];
        p->in_strides[i] = strides[perm[i]];
    }
    ref::strided_simplify(*p);
    p->elem_size = (int32_t)dtype_size(x.dtype);
    return ctx.check_output_shape(0, out);
}

sdk_status run(const RunContext& ctx) {
    ref::transpose_copy(*static_cast<const ref::TransposeParams*>(ctx.op_data), ctx.in_data[0], ctx.out_data[0],
                        ctx.pool);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_transpose = {"Transpose", sdk::prepare, sdk::run, sdk::kOpNone};
