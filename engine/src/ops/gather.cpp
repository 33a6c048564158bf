// Gather: x (any dtype, often a constant table), indices (i32/i64, negative from the end,
// often a model input such as token ids), `axis` [0]. Output x.shape[:axis] + indices.shape
// + x.shape[axis+1:], same dtype (int8 keeps its quantization). An index out of range
// fails the run with SDK_ERR_INVALID_ARGUMENT naming it.
#include "ops/index_op.h"

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 2, 2, 2, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const Tensor& ix = *ctx.input(1);
    if (x.shape.rank < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "data '%s' is a scalar; Gather needs rank >= 1", x.name);
    int32_t axis = 0;
    if ((st = opu::int_attr(ctx, "axis", 0, &axis)) != SDK_OK) return st;
    if ((st = opu::norm_axis(ctx, "axis", axis, x.shape.rank, &axis)) != SDK_OK) return st;
    if ((st = opu::check_dtype_supported(ctx, x)) != SDK_OK) return st;
    if ((st = opu::check_same_encoding(ctx, x, *ctx.output(0), "Gather")) != SDK_OK) return st;
    ref::GatherParams* p = opu::alloc_op_data<ref::GatherParams>(ctx);
    if (!p) return SDK_ERR_OUT_OF_MEMORY;
    if ((st = idx::check_indices(ctx, 1, &p->idx64)) != SDK_OK) return st;
    Shape out;
    out.rank = x.shape.rank - 1 + ix.shape.rank;
    if (out.rank > kMaxRank) return ctx.fail(SDK_ERR_UNSUPPORTED, "output rank %d exceeds %d", out.rank, kMaxRank);
    int o = 0;
    p->outer = 1;
    p->block_bytes = (int64_t)dtype_size(x.dtype);
    for (int i = 0; i < axis; ++i) p->outer *= (out.dims[o++] = x.shape.dims[i]);
    for (int i = 0; i < ix.shape.rank; ++i) out.dims[o++] = ix.shape.dims[i];
    for (int i = axis + 1; i < x.shape.rank; ++i) p->block_bytes *= (out.dims[o++] = x.shape.dims[i]);
    p->axis_dim = x.shape.dims[axis];
    p->n_idx = ix.shape.count();
    return ctx.check_output_shape(0, out);
}

sdk_status run(const RunContext& ctx) {
    const ref::GatherParams& p = *static_cast<const ref::GatherParams*>(ctx.op_data);
    const int64_t bad = ref::gather_copy(p, ctx.in_data[0], ctx.in_data[1], ctx.out_data[0]);
    return bad < 0 ? SDK_OK : idx::bad_index(ctx, 1, bad, p.axis_dim);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_gather = {"Gather", sdk::prepare, sdk::run, sdk::kOpNone};
