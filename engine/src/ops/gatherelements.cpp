// GatherElements: x (any dtype), indices (i32/i64, same rank as x, each dim no larger than
// x's), `axis` [0]; output of the indices' shape: y[i] = x[i with i[axis] = indices[i]].
#include "ops/index_op.h"

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 2, 2, 2, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const Tensor& ix = *ctx.input(1);
    const int r = x.shape.rank;
    if (r < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "data '%s' is a scalar; GatherElements needs rank >= 1", x.name);
    int32_t axis = 0;
    if ((st = opu::int_attr(ctx, "axis", 0, &axis)) != SDK_OK) return st;
    if ((st = opu::norm_axis(ctx, "axis", axis, r, &axis)) != SDK_OK) return st;
    if ((st = opu::check_dtype_supported(ctx, x)) != SDK_OK) return st;
    if ((st = opu::check_same_encoding(ctx, x, *ctx.output(0), "GatherElements")) != SDK_OK) return st;
    ref::GatherElementsParams* p = opu::alloc_op_data<ref::GatherElementsParams>(ctx);
    if (!p) return SDK_ERR_OUT_OF_MEMORY;
    if ((st = idx::check_indices(ctx, 1, &p->idx64)) != SDK_OK) return st;
    if (ix.shape.rank != r)
        return ctx.fail(SDK_ERR_BAD_MODEL, "indices have rank %d; data has rank %d", ix.shape.rank, r);
    int64_t s = 1;
    for (int i = r - 1; i >= 0; --i) {
        if (i != axis && ix.shape.dims[i] > x.shape.dims[i])
            return ctx.fail(SDK_ERR_BAD_MODEL, "indices dim %d (%d) exceeds the data's (%d)", i, ix.shape.dims[i],
                            x.shape.dims[i]);
        p->dims[i] = ix.shape.dims[i];
        p->x_strides[i] = s;
        s *= x.shape.dims[i];
    }
    p->rank = r;
    p->axis = axis;
    p->axis_dim = x.shape.dims[axis];
    p->elem_size = (int32_t)dtype_size(x.dtype);
    return ctx.check_output_shape(0, ix.shape);
}

sdk_status run(const RunContext& ctx) {
    const ref::GatherElementsParams& p = *static_cast<const ref::GatherElementsParams*>(ctx.op_data);
    const int64_t bad = ref::gather_elements_copy(p, ctx.in_data[0], ctx.in_data[1], ctx.out_data[0]);
    return bad < 0 ? SDK_OK : idx::bad_index(ctx, 1, bad, p.axis_dim);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_gatherelements = {"GatherElements", sdk::prepare, sdk::run, sdk::kOpNone};
