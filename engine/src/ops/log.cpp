// Log: y = ln(x) (f32).
// Element-wise, in place when allowed (ops/unary_op.h).
#include <math.h>

#include "ops/unary_op.h"

namespace sdk {
namespace {

#if SDK_FEATURE_FP32
inline float f32(float x) { return logf(x); }
#endif

sdk_status prepare(PrepareContext& ctx) {
    unary::Kernels k;
#if SDK_FEATURE_FP32
    k.f32 = unary::map_f32<f32>;
#endif
    return unary::prepare(ctx, nullptr, k);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_log = {"Log", sdk::prepare, sdk::unary::run, sdk::kOpInplace};
