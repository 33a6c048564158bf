// LRN: local response normalization across channels (ONNX semantics), rank >= 3.
#include "core/op.h"
#include "kernels/ref/misc.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor* x = ctx.input(0);
    if (x->shape.rank < 3)
        return ctx.fail(SDK_ERR_BAD_MODEL, "input '%s' has rank %d; LRN expects N, C and spatial dims", x->name,
                        x->shape.rank);
    ref::LrnParams p = {};
    if (!ctx.attr("size")) return ctx.fail(SDK_ERR_BAD_MODEL, "attribute 'size' is required");
    if ((st = opu::int_attr(ctx, "size", 1, &p.size)) != SDK_OK) return st;
    if ((st = opu::float_attr(ctx, "alpha", 1e-4f, &p.alpha)) != SDK_OK) return st;
    if ((st = opu::float_attr(ctx, "beta", 0.75f, &p.beta)) != SDK_OK) return st;
    if ((st = opu::float_attr(ctx, "bias", 1.0f, &p.bias)) != SDK_OK) return st;
    if (p.size < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "size must be >= 1 (got %d)", p.size);
    if (!(p.bias > 0.0f) && p.beta != 0.0f)
        return ctx.fail(SDK_ERR_BAD_MODEL, "bias must be > 0 (got %g)", (double)p.bias);
    p.N = x->shape.dims[0];
    p.C = x->shape.dims[1];
    p.inner = 1;
    for (int i = 2; i < x->shape.rank; ++i) p.inner *= x->shape.dims[i];
    if ((st = ctx.check_output_shape(0, x->shape)) != SDK_OK) return st;
    return opu::keep_f32_data(ctx, p);
}

sdk_status run(const RunContext& ctx) {
#if SDK_FEATURE_FP32
    ref::lrn_f32(*static_cast<const ref::LrnParams*>(ctx.op_data), ctx.in<float>(0), ctx.out<float>(0), ctx.pool);
    return SDK_OK;
#else
    (void)ctx;
    return SDK_ERR_UNSUPPORTED;
#endif
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_lrn = {"LRN", sdk::prepare, sdk::run, sdk::kOpNone};
