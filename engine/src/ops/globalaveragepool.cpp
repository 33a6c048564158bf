// GlobalAveragePool: mean over all spatial dims of N C <spatial...> (rank >= 3).
#include "core/op.h"
#include "kernels/ref/misc.h"
#include "ops/op_util.h"
#if SDK_FEATURE_INT8
#include "kernels/ops_s8.h"  // int8 path (perf engineer)
#endif

namespace sdk {
namespace {

struct GapData {
    int64_t planes, spatial;
};

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor* x = ctx.input(0);
    if (x->shape.rank < 3)
        return ctx.fail(SDK_ERR_BAD_MODEL, "input '%s' has rank %d; expected N, C and at least one spatial dim",
                        x->name, x->shape.rank);
    Shape out = x->shape;
    GapData g = {(int64_t)x->shape.dims[0] * x->shape.dims[1], 1};
    for (int i = 2; i < out.rank; ++i) {
        g.spatial *= x->shape.dims[i];
        out.dims[i] = 1;
    }
    if ((st = ctx.check_output_shape(0, out)) != SDK_OK) return st;
#if SDK_FEATURE_INT8  // ---- int8 path: kernels/ref/globalaveragepool_s8.cpp
    if (ctx.input(0)->dtype == DType::I8) return globalaveragepool_s8_prepare(ctx);
#endif
    return opu::keep_f32_data(ctx, g);
}

sdk_status run(const RunContext& ctx) {
#if SDK_FEATURE_INT8  // ---- int8 path: kernels/ref/globalaveragepool_s8.cpp
    if (ctx.input(0).dtype == DType::I8) return globalaveragepool_s8_run(ctx);
#endif
#if SDK_FEATURE_FP32
    const GapData& d = *static_cast<const GapData*>(ctx.op_data);
    ref::globalaveragepool_f32(ctx.in<float>(0), ctx.out<float>(0), d.planes, d.spatial, ctx.pool);
    return SDK_OK;
#else
    (void)ctx;
    return SDK_ERR_UNSUPPORTED;
#endif
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_globalaveragepool = {"GlobalAveragePool", sdk::prepare, sdk::run, sdk::kOpNone};
