// ScatterND: data (any dtype; f32/i32/i64 with a reduction), indices (i32/i64, last dim
// k), updates (indices.shape[:-1] + data.shape[k:]); `reduction` none [default] / add /
// mul / max / min. Output: a copy of data with the updates written (combined) in index
// order; in place when the planner lets it reuse data's memory.
#include <string.h>

#include "core/status.h"  // str_eq

#include "ops/index_op.h"

namespace sdk {
namespace {

struct ScatterData {
    ref::NdParams p;
    int32_t reduction;
    DType dtype;
};

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 3, 3, 3, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const Tensor& ix = *ctx.input(1);
    const Tensor& u = *ctx.input(2);
    if ((st = opu::check_dtype_supported(ctx, x)) != SDK_OK) return st;
    if ((st = opu::check_same_encoding(ctx, x, *ctx.output(0), "ScatterND")) != SDK_OK) return st;
    if ((st = opu::check_same_encoding(ctx, u, *ctx.output(0), "ScatterND")) != SDK_OK) return st;
    ScatterData* d = opu::alloc_op_data<ScatterData>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    const char* red = ctx.attr_string("reduction", "none");
    static const char* const kNames[] = {"none", "add", "mul", "max", "min"};
    d->reduction = -1;
    for (int i = 0; i < 5; ++i)
        if (str_eq(red, kNames[i])) d->reduction = i;
    if (d->reduction < 0)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "reduction '%s' is not supported (none, add, mul, max, min)", red);
    d->dtype = x.dtype;
    if (d->reduction != ref::kScatterNone && x.dtype != DType::F32 && x.dtype != DType::I32 && x.dtype != DType::I64)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "reduction '%s' on %s data (supported: f32, i32, i64)", red,
                        dtype_name(x.dtype));
    if ((st = idx::check_indices(ctx, 1, &d->p.idx64)) != SDK_OK) return st;
    if (!idx::nd_geometry(ctx, x, ix, 0, &d->p)) return SDK_ERR_BAD_MODEL;
    Shape want;
    want.rank = ix.shape.rank - 1 + x.shape.rank - d->p.k;
    int o = 0;
    for (int i = 0; i < ix.shape.rank - 1; ++i) want.dims[o++] = ix.shape.dims[i];
    for (int i = d->p.k; i < x.shape.rank; ++i) want.dims[o++] = x.shape.dims[i];
    if (!want.equals(u.shape)) {
        char a[96], b[96];
        return ctx.fail(SDK_ERR_BAD_MODEL, "updates have shape %s; the indices and data need %s",
                        shape_str(u.shape, a, sizeof a), shape_str(want, b, sizeof b));
    }
    return ctx.check_output_shape(0, x.shape);
}

sdk_status run(const RunContext& ctx) {
    const ScatterData& d = *static_cast<const ScatterData*>(ctx.op_data);
    // scatter_nd checks every index before it writes an update
    if (ctx.out_data[0] != ctx.in_data[0]) memcpy(ctx.out_data[0], ctx.in_data[0], ctx.output(0).bytes);
    const int64_t bad = ref::scatter_nd(d.p, d.reduction, d.dtype, ctx.in_data[1], ctx.in_data[2], ctx.out_data[0]);
    return bad < 0 ? SDK_OK : idx::bad_index(ctx, 1, bad, d.p.dims[bad % d.p.k]);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_scatternd = {"ScatterND", sdk::prepare, sdk::run, sdk::kOpInplace};
