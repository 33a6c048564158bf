// HardSigmoid: y = max(0, min(1, alpha * x + beta)) (f32); `alpha` [0.2], `beta` [0.5].
// Element-wise, in place when allowed (ops/unary_op.h); int8 through a 256-entry table.
#include <math.h>

#include "ops/unary_op.h"

namespace sdk {
namespace {

#if SDK_FEATURE_FP32
inline float hard_sigmoid(float x, float alpha, float beta) {
    const float v = alpha * x + beta;
    return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);  // NaN stays NaN
}
#endif

inline float f32(float x, const unary::Params& p) { return hard_sigmoid(x, p.alpha, p.beta); }

sdk_status parse(PrepareContext& ctx, unary::Params* p) {
    sdk_status st;
    if ((st = opu::float_attr(ctx, "alpha", 0.2f, &p->alpha)) != SDK_OK) return st;
    if ((st = opu::float_attr(ctx, "beta", 0.5f, &p->beta)) != SDK_OK) return st;
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_hardsigmoid = {"HardSigmoid", sdk::unary::prepare_f32p<sdk::f32, sdk::parse, true>, sdk::unary::run, sdk::kOpInplace};
