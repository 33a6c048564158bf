// The shared skeleton of Softmax and LogSoftmax (fp32): along one axis (opset-13 meaning;
// the converter reshapes older models' 2-D coercion), `axis` in [-rank, rank) [-1].
// Kernels: the `softmax` group (kernels/ref/softmax.h). Header-only, so either op builds
// alone.
#pragma once

#include "core/op.h"
#include "kernels/ref/softmax.h"
#include "ops/op_util.h"

namespace sdk {
namespace softmax {

struct Data {
    int64_t outer, n, inner;
};

inline sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor* x = ctx.input(0);
    if (x->shape.rank < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "input '%s' is a scalar; this op needs rank >= 1", x->name);
    int32_t axis = -1;
    if ((st = opu::int_attr(ctx, "axis", -1, &axis)) != SDK_OK) return st;
    if ((st = opu::norm_axis(ctx, "axis", axis, x->shape.rank, &axis)) != SDK_OK) return st;
    if ((st = ctx.check_output_shape(0, x->shape)) != SDK_OK) return st;
    Data d;
    d.outer = d.inner = 1;
    for (int i = 0; i < axis; ++i) d.outer *= x->shape.dims[i];
    for (int i = axis + 1; i < x->shape.rank; ++i) d.inner *= x->shape.dims[i];
    d.n = x->shape.dims[axis];
    return opu::keep_f32_data(ctx, d);
}

template <bool kLog>
sdk_status run(const RunContext& ctx) {
#if SDK_FEATURE_FP32
    const Data& d = *static_cast<const Data*>(ctx.op_data);
    ref::softmax_f32(ctx.in<float>(0), ctx.out<float>(0), d.outer, d.n, d.inner, kLog, ctx.pool);
    return SDK_OK;
#else
    (void)ctx;
    return SDK_ERR_UNSUPPORTED;
#endif
}

}  // namespace softmax
}  // namespace sdk
