// CumSum: X (f32, i32, i64); `axis` (ONNX's axis input, constant; required), `exclusive`
// [0], `reverse` [0]. In place when the planner allows.
#include "core/op.h"
#include "kernels/ref/scan.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const int r = x.shape.rank;
    if (x.dtype != DType::F32 && x.dtype != DType::I32 && x.dtype != DType::I64)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "input '%s' is %s; CumSum takes f32, i32 or i64", x.name,
                        dtype_name(x.dtype));
    if ((st = opu::check_dtype_supported(ctx, x)) != SDK_OK) return st;
    if (ctx.output(0)->dtype != x.dtype) return ctx.fail(SDK_ERR_BAD_MODEL, "the output dtype differs from the input's");
    if (r < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "input '%s' is a scalar; CumSum needs rank >= 1", x.name);
    if (!ctx.attr("axis")) return ctx.fail(SDK_ERR_BAD_MODEL, "attribute 'axis' is required");
    int32_t axis = 0, exclusive = 0, reverse = 0;
    if ((st = opu::int_attr(ctx, "axis", 0, &axis)) != SDK_OK) return st;
    if ((st = opu::norm_axis(ctx, "axis", axis, r, &axis)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "exclusive", 0, &exclusive)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "reverse", 0, &reverse)) != SDK_OK) return st;
    ref::CumSumParams* p = opu::alloc_op_data<ref::CumSumParams>(ctx);
    if (!p) return SDK_ERR_OUT_OF_MEMORY;
    p->outer = p->inner = 1;
    for (int i = 0; i < axis; ++i) p->outer *= x.shape.dims[i];
    for (int i = axis + 1; i < r; ++i) p->inner *= x.shape.dims[i];
    p->n = x.shape.dims[axis];
    p->exclusive = exclusive != 0;
    p->reverse = reverse != 0;
    p->dtype = x.dtype;
    return ctx.check_output_shape(0, x.shape);
}

sdk_status run(const RunContext& ctx) {
    ref::cumsum(*static_cast<const ref::CumSumParams*>(ctx.op_data), ctx.in_data[0], ctx.out_data[0]);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_cumsum = {"CumSum", sdk::prepare, sdk::run, sdk::kOpInplace};
