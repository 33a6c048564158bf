// TopK: X (f32, i32, i64); `k` (ONNX's K input, constant, 1 <= k <= the axis' extent),
// `axis` [-1], `largest` [1], `sorted` [1]. Outputs Values (X's dtype) and Indices (i64),
// best first (also when sorted = 0, which allows any order), ties by lower index.
#include "core/op.h"
#include "kernels/ref/scan.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 2);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const int r = x.shape.rank;
    if (x.dtype != DType::F32 && x.dtype != DType::I32 && x.dtype != DType::I64)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "input '%s' is %s; TopK takes f32, i32 or i64", x.name,
                        dtype_name(x.dtype));
    if ((st = opu::check_dtype_supported(ctx, x)) != SDK_OK) return st;
    if (ctx.output(0)->dtype != x.dtype || ctx.output(1)->dtype != DType::I64)
        return ctx.fail(SDK_ERR_BAD_MODEL, "outputs must be %s values and i64 indices", dtype_name(x.dtype));
    if (r < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "input '%s' is a scalar; TopK needs rank >= 1", x.name);
    int32_t axis = -1, k = 0, largest = 1;
    if (!ctx.attr("k")) return ctx.fail(SDK_ERR_BAD_MODEL, "attribute 'k' is required");
    if ((st = opu::int_attr(ctx, "k", 0, &k)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "axis", -1, &axis)) != SDK_OK) return st;
    if ((st = opu::norm_axis(ctx, "axis", axis, r, &axis)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "largest", 1, &largest)) != SDK_OK) return st;
    if (k < 1 || k > x.shape.dims[axis])
        return ctx.fail(SDK_ERR_BAD_MODEL, "k = %d is outside [1, %d] (the extent of axis %d)", k, x.shape.dims[axis],
                        axis);
    ref::TopKParams* p = opu::alloc_op_data<ref::TopKParams>(ctx);
    if (!p) return SDK_ERR_OUT_OF_MEMORY;
    p->outer = p->inner = 1;
    for (int i = 0; i < axis; ++i) p->outer *= x.shape.dims[i];
    for (int i = axis + 1; i < r; ++i) p->inner *= x.shape.dims[i];
    p->n = x.shape.dims[axis];
    p->k = k;
    p->largest = largest != 0;
    p->dtype = x.dtype;
    ctx.request_thread_scratch((size_t)k * 16);
    Shape out = x.shape;
    out.dims[axis] = k;
    if ((st = ctx.check_output_shape(0, out)) != SDK_OK) return st;
    return ctx.check_output_shape(1, out);
}

sdk_status run(const RunContext& ctx) {
    ref::topk(*static_cast<const ref::TopKParams*>(ctx.op_data), ctx.in_data[0], ctx.out_data[0],
              ctx.out<int64_t>(1), ctx);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_topk = {"TopK", sdk::prepare, sdk::run, sdk::kOpNone};
