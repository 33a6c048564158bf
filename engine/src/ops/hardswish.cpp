// HardSwish: y = x * clamp(x / 6 + 1/2, 0, 1). Elementwise, in place when allowed (ops/unary_op.h).
#include "kernels/ref/unary.h"
#include "ops/unary_op.h"

namespace sdk {
namespace {

void kernel(const float* x, float* y, int64_t n, const unary::Params& p) {
    (void)p;  // only Clip reads its bounds
#if SDK_FEATURE_FP32
    ref::hardswish_f32(x, y, n);
#else
    (void)x, (void)y, (void)n;  // unreachable: prepare() refuses every model without fp32 kernels
#endif
}

sdk_status prepare(PrepareContext& ctx) { return unary::prepare(ctx, nullptr); }

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_hardswish = {"HardSwish", sdk::prepare, sdk::unary::run<sdk::kernel>, sdk::kOpInplace};
