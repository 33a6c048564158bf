// PRelu: y = X < 0 ? slope * X : X, slope broadcast to X (f32).
// Output may reuse X when it dies here (kOpInplaceAny: slope never has the output's size
// unless it is X's shape, where element i reads slope[i] first too).
// sdk-kernels: binary
#include "ops/binary_op.h"

namespace sdk {
namespace {

#if SDK_FEATURE_FP32
inline float prelu_f(float x, float s) { return x < 0.0f ? s * x : x; }
#endif

sdk_status prepare(PrepareContext& ctx) {
    BroadcastPlan plan;
    sdk_status st = binary::check_shapes(ctx, &plan);
    if (st != SDK_OK) return st;
    if (!ctx.output(0)->shape.equals(ctx.input(0)->shape))
        return ctx.fail(SDK_ERR_BAD_MODEL, "slope '%.64s' must broadcast to X's shape (not widen it)",
                        ctx.input(1)->name);
    binary::Rows r;
#if SDK_FEATURE_FP32
    r.f32 = binary_row<float, float, prelu_f>;
#endif
    return binary::prepare(ctx, plan, r, binary::kSameDType);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_prelu = {"PRelu", sdk::prepare, sdk::binary::run, sdk::kOpInplaceAny};
