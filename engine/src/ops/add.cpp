// Add: elementwise with numpy broadcasting (rank <= 6), fused activation.
// Output may reuse any same-size input that dies here (kOpInplaceAny): the kernels read
// element i of such an input before writing element i.
// sdk-kernels: binary
#include "core/op.h"
#include "kernels/ref/binary.h"
#include "ops/op_util.h"
#if SDK_FEATURE_INT8
#include "kernels/ops_s8.h"  // int8 path (perf engineer)
#endif

namespace sdk {
namespace {

struct BinaryData {
    BroadcastPlan plan;
    ref::ActParams act;
};

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 2, 2, 2, 1);
    if (st != SDK_OK) return st;
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    BinaryData tmp;
    Shape out;
    if (!broadcast_plan(a->shape, b->shape, &out, &tmp.plan)) {
        char sa[96], sb[96];
        opu::format_shape(a->shape, sa, sizeof sa);
        opu::format_shape(b->shape, sb, sizeof sb);
        return ctx.fail(SDK_ERR_BAD_MODEL, "input shapes %s ('%s') and %s ('%s') do not broadcast", sa, a->name, sb,
                        b->name);
    }
    if ((st = ctx.check_output_shape(0, out)) != SDK_OK) return st;
#if SDK_FEATURE_INT8  // ---- int8 path: kernels/ref/add_s8.cpp
    if (ctx.input(0)->dtype == DType::I8) return add_s8_prepare(ctx);
#endif
    if ((st = opu::require_f32(ctx)) != SDK_OK) return st;
#if SDK_FEATURE_FP32
    BinaryData* d = opu::alloc_op_data<BinaryData>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    d->plan = tmp.plan;
    if ((st = opu::parse_activation(ctx, &d->act)) != SDK_OK) return st;
    return SDK_OK;
#else
    return SDK_ERR_UNSUPPORTED;
#endif
}

sdk_status run(const RunContext& ctx) {
#if SDK_FEATURE_INT8  // ---- int8 path: kernels/ref/add_s8.cpp
    if (ctx.input(0).dtype == DType::I8) return add_s8_run(ctx);
#endif
#if SDK_FEATURE_FP32
    const BinaryData& d = *static_cast<const BinaryData*>(ctx.op_data);
    ref::binary_f32(ref::kBinaryAdd, d.plan, d.act, ctx.in<float>(0), ctx.in<float>(1), ctx.out<float>(0), ctx.pool);
    return SDK_OK;
#else
    (void)ctx;
    return SDK_ERR_UNSUPPORTED;
#endif
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_add = {"Add", sdk::prepare, sdk::run, sdk::kOpInplaceAny};
