// The shared skeleton of ArgMax and ArgMin: X (f32, i32, i64); `axis` [0], `keepdims`
// [1], `select_last_index` [0]; output int64 indices. Kernel: ref::reduce::arg
// (kernels/ref/reduce.h: one loop over order-preserving keys for every dtype).
#pragma once

#include "core/op.h"
#include "kernels/ref/reduce.h"
#include "ops/op_util.h"

namespace sdk {
namespace arg_op {

struct Data {
    int64_t outer, n, inner;
    DType dtype;
    bool last;
};

inline sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const int r = x.shape.rank;
    if (x.dtype != DType::F32 && x.dtype != DType::I32 && x.dtype != DType::I64)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "input '%s' is %s; this op takes f32, i32 or i64", x.name,
                        dtype_name(x.dtype));
    if ((st = opu::check_dtype_supported(ctx, x)) != SDK_OK) return st;
    if (ctx.output(0)->dtype != DType::I64) return ctx.fail(SDK_ERR_BAD_MODEL, "the output must be i64");
    if (r < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "input '%s' is a scalar; this op needs rank >= 1", x.name);
    int32_t axis = 0, keep = 1, last = 0;
    if ((st = opu::int_attr(ctx, "axis", 0, &axis)) != SDK_OK) return st;
    if ((st = opu::norm_axis(ctx, "axis", axis, r, &axis)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "keepdims", 1, &keep)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "select_last_index", 0, &last)) != SDK_OK) return st;
    Shape out;
    out.rank = 0;
    Data* d = opu::alloc_op_data<Data>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    d->outer = d->inner = 1;
    for (int i = 0; i < r; ++i) {
        if (i < axis) d->outer *= x.shape.dims[i];
        if (i > axis) d->inner *= x.shape.dims[i];
        if (i != axis || keep) out.dims[out.rank++] = i == axis ? 1 : x.shape.dims[i];
    }
    d->n = x.shape.dims[axis];
    d->dtype = x.dtype;
    d->last = last != 0;
    return ctx.check_output_shape(0, out);
}

template <bool kMax>
sdk_status run(const RunContext& ctx) {
    const Data& d = *static_cast<const Data*>(ctx.op_data);
    ref::reduce::arg<kMax>(ctx.in_data[0], d.dtype, ctx.out<int64_t>(0), d.outer, d.n, d.inner, d.last);
    return SDK_OK;
}

}  // namespace arg_op
}  // namespace sdk
