// Size: the input's element count as a one-element i64 or i32 tensor (shape [] stored as
// [1] or ()). The converter folds Size wherever it can; this op serves a size that is
// itself a graph output. The input is not read.
#include "ops/op_util.h"

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor& y = *ctx.output(0);
    if (y.shape.count() != 1)
        return ctx.fail(SDK_ERR_BAD_MODEL, "output '%.64s' must hold one element", y.name);
    if (y.dtype != DType::I64 && y.dtype != DType::I32)
        return ctx.fail(SDK_ERR_BAD_MODEL, "output is %s; expected i64 or i32", dtype_name(y.dtype));
    int64_t* d = opu::alloc_op_data<int64_t>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    *d = ctx.input(0)->shape.count();
    return SDK_OK;
}

sdk_status run(const RunContext& ctx) {
    const int64_t n = *static_cast<const int64_t*>(ctx.op_data);
    if (ctx.output(0).dtype == DType::I64)
        ctx.out<int64_t>(0)[0] = n;
    else
        ctx.out<int32_t>(0)[0] = static_cast<int32_t>(n);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_size = {"Size", sdk::prepare, sdk::run, sdk::kOpNone};
