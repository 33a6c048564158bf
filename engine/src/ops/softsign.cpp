// Softsign: y = x / (1 + |x|) (f32).
// Element-wise, in place when allowed (ops/unary_op.h); int8 through a 256-entry table.
#include <math.h>

#include "ops/unary_op.h"

namespace sdk {
namespace {

#if SDK_FEATURE_FP32
inline float f32(float x) { return x / (1.0f + fabsf(x)); }
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

extern const sdk::OpDef sdk_op_softsign = {"Softsign", sdk::prepare, sdk::unary::run, sdk::kOpInplace};
