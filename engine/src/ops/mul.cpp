// Mul: elementwise with numpy broadcasting (rank <= 6), no attributes.
// Output may reuse any same-size input that dies here (kOpInplaceAny): the kernels read
// element i of such an input before writing element i.
// sdk-kernels: binary
#include "ops/binary_op.h"

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    BroadcastPlan plan;
    sdk_status st = binary::check_shapes(ctx, &plan);
    if (st != SDK_OK) return st;
    return binary::prepare_f32(ctx, plan, /*fused_activation=*/false);
}

sdk_status run(const RunContext& ctx) { return binary::run_f32(ctx, ref::kBinaryMul); }

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_mul = {"Mul", sdk::prepare, sdk::run, sdk::kOpInplaceAny};
