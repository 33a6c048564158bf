// MaxPool: 2-D max pooling with strides, pads [t,l,b,r], dilations and ceil_mode.
#include "core/op.h"
#include "kernels/ref/pool.h"
#include "ops/op_util.h"
#if SDK_FEATURE_INT8
#include "kernels/ops_s8.h"  // int8 path: kernels/ref/maxpool_s8.cpp
#endif
#include "ops/pool_op.h"

namespace sdk {
namespace {

struct MaxPool {
    static constexpr bool kDilations = true;
    static sdk_status attrs(PrepareContext& ctx, ref::PoolParams*) {
        if (ctx.num_outputs() > 1) return ctx.fail(SDK_ERR_UNSUPPORTED, "the Indices output is not supported");
        return SDK_OK;
    }
#if SDK_FEATURE_INT8
    static sdk_status s8_prepare(PrepareContext& ctx) { return maxpool_s8_prepare(ctx); }
    static sdk_status s8_run(const RunContext& ctx) { return maxpool_s8_run(ctx); }
#endif
#if SDK_FEATURE_FP32
    static void f32(const ref::PoolParams& p, const float* x, float* y, ThreadPool* pool) {
        ref::maxpool_f32(p, x, y, pool);
    }
#endif
};

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_maxpool = {"MaxPool", sdk::opu::pool_prepare<sdk::MaxPool>,
                                          sdk::opu::pool_run<sdk::MaxPool>, sdk::kOpNone};
