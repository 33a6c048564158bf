// Softmax along one axis (opset-13 meaning), `axis` in [-rank, rank).
#include "core/op.h"
#include "kernels/ref/misc.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

struct SoftmaxData {
    int64_t outer, n, inner;
};

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor* x = ctx.input(0);
    if (x->shape.rank < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "input '%s' is a scalar; Softmax needs rank >= 1", x->name);
    int32_t axis = -1;
    if ((st = opu::int_attr(ctx, "axis", -1, &axis)) != SDK_OK) return st;
    if ((st = opu::norm_axis(ctx, "axis", axis, x->shape.rank, &axis)) != SDK_OK) return st;
    if ((st = ctx.check_output_shape(0, x->shape)) != SDK_OK) return st;
    if ((st = opu::require_f32(ctx)) != SDK_OK) return st;
    SoftmaxData* d = opu::alloc_op_data<SoftmaxData>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    d->outer = d->inner = 1;
    for (int i = 0; i < axis; ++i) d->outer *= x->shape.dims[i];
    for (int i = axis + 1; i < x->shape.rank; ++i) d->inner *= x->shape.dims[i];
    d->n = x->shape.dims[axis];
    return SDK_OK;
}

sdk_status run(const RunContext& ctx) {
#if SDK_FEATURE_FP32
    const SoftmaxData& d = *static_cast<const SoftmaxData*>(ctx.op_data);
    ref::softmax_f32(ctx.in<float>(0), ctx.out<float>(0), d.outer, d.n, d.inner, ctx.pool);
    return SDK_OK;
#else
    (void)ctx;
    return SDK_ERR_UNSUPPORTED;
#endif
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_softmax = {"Softmax", sdk::prepare, sdk::run, sdk::kOpNone};
