// AveragePool: 2-D average pooling with strides, pads [t,l,b,r], dilations (fp32; the
// opset-19 attribute), ceil_mode and count_include_pad.
#include "core/op.h"
#include "kernels/ref/pool.h"
#include "ops/op_util.h"
#if SDK_FEATURE_INT8
#include "kernels/ops_s8.h"  // int8 path: kernels/ref/averagepool_s8.cpp
#endif
#include "ops/pool_op.h"

namespace sdk {
namespace {

struct AveragePool {
    static constexpr bool kDilations = true;
    static sdk_status attrs(PrepareContext& ctx, ref::PoolParams* p) {
        int32_t cip = 0;
        sdk_status st = opu::int_attr(ctx, "count_include_pad", 0, &cip);
        if (st != SDK_OK) return st;
        if (cip != 0 && cip != 1) return ctx.fail(SDK_ERR_BAD_MODEL, "count_include_pad must be 0 or 1");
        p->count_include_pad = cip;
        return SDK_OK;
    }
#if SDK_FEATURE_INT8
    static sdk_status s8_prepare(PrepareContext& ctx) {
        int32_t dil[2] = {1, 1};
        ctx.attr_ints("dilations", dil, 2);
        if (dil[0] != 1 || dil[1] != 1)
            return ctx.fail(SDK_ERR_UNSUPPORTED, "int8 AveragePool with dilations [%d,%d] is not supported", dil[0],
                            dil[1]);
        return averagepool_s8_prepare(ctx);
    }
    static sdk_status s8_run(const RunContext& ctx) { return averagepool_s8_run(ctx); }
#endif
#if SDK_FEATURE_FP32
    static void f32(const ref::PoolParams& p, const float* x, float* y, ThreadPool* pool) {
        ref::averagepool_f32(p, x, y, pool);
    }
#endif
};

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_averagepool = {"AveragePool", sdk::opu::pool_prepare<sdk::AveragePool>,
                                              sdk::opu::pool_run<sdk::AveragePool>, sdk::kOpNone};
