// HardSwish: y = x * clamp(x / 6 + 1/2, 0, 1) (f32).
// Element-wise, in place when allowed (ops/unary_op.h); int8 through a 256-entry table.
// f32: the SIMD kernels of the fused activations (kernels/ref/act_f32.h).
#include "ops/unary_op.h"

namespace sdk {
namespace {

inline void kernel(const void* x, void* y, int64_t n, const unary::Params&) {
    ref::hardswish_span_f32(static_cast<const float*>(x), static_cast<float*>(y), n);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_hardswish = {"HardSwish", sdk::unary::prepare_with<sdk::kernel, nullptr, true>, sdk::unary::run, sdk::kOpInplace};
