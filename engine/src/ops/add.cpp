// Add: elementwise with numpy broadcasting (rank <= 6), fused activation.
// Output may reuse any same-size input that dies here (kOpInplaceAny): the kernels read
// element i of such an input before writing element i.
// sdk-kernels: binary
#include "ops/binary_op.h"
#if SDK_FEATURE_INT8
#include "kernels/ops_s8.h"  // int8 path: kernels/ref/add_s8.cpp
#endif

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    BroadcastPlan plan;
    sdk_status st = binary::check_shapes(ctx, &plan);
    if (st != SDK_OK) return st;
#if SDK_FEATURE_INT8
    if (ctx.input(0)->dtype == DType::I8) return add_s8_prepare(ctx);
#endif
    return binary::prepare_f32(ctx, plan, /*fused_activation=*/true);
}

sdk_status run(const RunContext& ctx) {
#if SDK_FEATURE_INT8
    if (ctx.input(0).dtype == DType::I8) return add_s8_run(ctx);
#endif
    return binary::run_f32(ctx, ref::kBinaryAdd);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_add = {"Add", sdk::prepare, sdk::run, sdk::kOpInplaceAny};
