// Mish: y = x * tanh(softplus(x)) (f32).
// Element-wise, in place when allowed (ops/unary_op.h); int8 through a 256-entry table.
#include <math.h>

#include "ops/unary_op.h"

namespace sdk {
namespace {

#if SDK_FEATURE_FP32
inline float f32(float x) { return x * tanhf(x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x))); }
#endif

sdk_status prepare(PrepareContext& ctx) {
    unary::Kernels k;
#if SDK_FEATURE_FP32
    k.f32 = unary::map_f32<f32>;
#endif
    k.lut = true;
    return unary::prepare(ctx, nullptr, k);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_mish = {"Mish", sdk::prepare, sdk::unary::run, sdk::kOpInplace};
