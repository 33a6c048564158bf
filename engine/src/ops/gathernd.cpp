// GatherND: x (any dtype), indices (i32/i64, last dim k: index tuples into the dims after
// the batch dims), `batch_dims` [0]. Output indices.shape[:-1] + x.shape[batch_dims+k:].
#include "ops/index_op.h"

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 2, 2, 2, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const Tensor& ix = *ctx.input(1);
    int32_t b = 0;
    if ((st = opu::int_attr(ctx, "batch_dims", 0, &b)) != SDK_OK) return st;
    if ((st = opu::check_dtype_supported(ctx, x)) != SDK_OK) return st;
    if ((st = opu::check_same_encoding(ctx, x, *ctx.output(0), "GatherND")) != SDK_OK) return st;
    ref::NdParams* p = opu::alloc_op_data<ref::NdParams>(ctx);
    if (!p) return SDK_ERR_OUT_OF_MEMORY;
    if ((st = idx::check_indices(ctx, 1, &p->idx64)) != SDK_OK) return st;
    if (!idx::nd_geometry(ctx, x, ix, b, p)) return SDK_ERR_BAD_MODEL;
    Shape out;
    out.rank = ix.shape.rank - 1 + x.shape.rank - b - p->k;
    if (out.rank > kMaxRank) return ctx.fail(SDK_ERR_UNSUPPORTED, "output rank %d exceeds %d", out.rank, kMaxRank);
    int o = 0;
    for (int i = 0; i < ix.shape.rank - 1; ++i) out.dims[o++] = ix.shape.dims[i];
    for (int i = b + p->k; i < x.shape.rank; ++i) out.dims[o++] = x.shape.dims[i];
    return ctx.check_output_shape(0, out);
}

sdk_status run(const RunContext& ctx) {
    const ref::NdParams& p = *static_cast<const ref::NdParams*>(ctx.op_data);
    const int64_t bad = ref::gather_nd_copy(p, ctx.in_data[0], ctx.in_data[1], ctx.out_data[0]);
    return bad < 0 ? SDK_OK : idx::bad_index(ctx, 1, bad, p.dims[bad % p.k]);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_gathernd = {"GatherND", sdk::prepare, sdk::run, sdk::kOpNone};
