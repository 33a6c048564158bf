// MaxPool: 2-D max pooling with strides, pads [t,l,b,r], dilations and ceil_mode.
#include <string.h>

#include "core/model.h"
#include "core/op.h"
#include "kernels/ref/pool.h"
#include "ops/op_util.h"
#if SDK_FEATURE_INT8
#include "kernels/ops_s8.h"  // int8 path: kernels/ref/maxpool_s8.cpp
#endif
#include "ops/pool_op.h"

namespace sdk {
namespace {

#if (SDK_FEATURE_NEON || SDK_FEATURE_X86) && SDK_FEATURE_WINOGRAD  // (kernels/ref/pool.h)
// Whether every value of f32 tensor t is >= +0 and not NaN by what produces it: a Relu (the op, or
// fused into a Conv: every kernel's Relu is act_f32's `x > 0 ? x : 0`, so no NaN and no -0), or a
// Concat / MaxPool of such tensors. Graph inputs and constants: unknown. budget: tensors left to
// look at (a bound on the search's time whatever the graph).
bool relu_output(const Model* m, int32_t t, int* budget) {
    if (t < 0 || t >= m->num_tensors || --*budget < 0 || m->tensors[t].dtype != DType::F32) return false;
    for (int i = 0; i < m->num_nodes; ++i) {
        const Node& n = m->nodes[i];
        if (n.num_outputs != 1 || n.outputs[0] != t) continue;
        if (!strcmp(n.type, "Relu")) return true;
        if (!strcmp(n.type, "Conv")) {
            for (int a = 0; a < n.num_attrs; ++a)
                if (!strcmp(n.attrs[a].name, "activation"))
                    return n.attrs[a].type == kAttrInts && n.attrs[a].count == 1 &&
                           *static_cast<const int32_t*>(n.attrs[a].data) == kActRelu;
            return false;
        }
        const bool concat = !strcmp(n.type, "Concat");
        if (!concat && strcmp(n.type, "MaxPool")) return false;
        if (n.num_inputs < 1 || (!concat && n.num_inputs != 1)) return false;
        for (int k = 0; k < n.num_inputs; ++k)
            if (!relu_output(m, n.inputs[k], budget)) return false;
        return true;
    }
    return false;
}
#endif

struct MaxPool {
    static constexpr bool kDilations = true;
    static sdk_status attrs(PrepareContext& ctx, ref::PoolParams* p) {
        if (ctx.num_outputs() > 1) return ctx.fail(SDK_ERR_UNSUPPORTED, "the Indices output is not supported");
#if (SDK_FEATURE_NEON || SDK_FEATURE_X86) && SDK_FEATURE_WINOGRAD  // (only the NEON and AVX2 planes use it)
        int budget = 32;
        p->nonneg = ctx.node->num_inputs == 1 && ctx.node->inputs && relu_output(ctx.model, ctx.node->inputs[0], &budget);
#else
        (void)p;
#endif
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
