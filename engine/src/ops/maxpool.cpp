// MaxPool: 2-D max pooling with strides, pads [t,l,b,r], dilations and ceil_mode.
#include "core/op.h"
#include "kernels/ref/pool.h"
#include "ops/op_util.h"
#if SDK_FEATURE_INT8
#include "kernels/ops_s8.h"  // int8 path (perf engineer)
#endif
#include "ops/pool_attrs.h"

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    ref::PoolParams p = {};
    sdk_status st = opu::parse_pool2d(ctx, true, &p);
    if (st != SDK_OK) return st;
    if (ctx.num_outputs() > 1) return ctx.fail(SDK_ERR_UNSUPPORTED, "the Indices output is not supported");
#if SDK_FEATURE_INT8  // ---- int8 path: kernels/ref/maxpool_s8.cpp
    if (ctx.input(0)->dtype == DType::I8) return maxpool_s8_prepare(ctx);
#endif
    if ((st = opu::require_f32(ctx)) != SDK_OK) return st;
    ref::PoolParams* d = opu::alloc_op_data<ref::PoolParams>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    *d = p;
    return SDK_OK;
}

sdk_status run(const RunContext& ctx) {
#if SDK_FEATURE_INT8  // ---- int8 path: kernels/ref/maxpool_s8.cpp
    if (ctx.input(0).dtype == DType::I8) return maxpool_s8_run(ctx);
#endif
#if SDK_FEATURE_FP32
    ref::maxpool_f32(*static_cast<const ref::PoolParams*>(ctx.op_data), ctx.in<float>(0), ctx.out<float>(0), ctx.pool);
    return SDK_OK;
#else
    (void)ctx;
    return SDK_ERR_UNSUPPORTED;
#endif
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_maxpool = {"MaxPool", sdk::prepare, sdk::run, sdk::kOpNone};
