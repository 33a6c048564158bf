// Celu: y = max(0, x) + min(0, alpha * (e^(x / alpha) - 1)) (f32); `alpha` [1.0], not 0.
// Element-wise, in place when allowed (ops/unary_op.h); int8 through a 256-entry table.
#include <math.h>

#include "ops/unary_op.h"

namespace sdk {
namespace {

#if SDK_FEATURE_FP32
inline float f32(float x, const unary::Params& p) { return (x > 0.0f ? x : 0.0f) + fminf(0.0f, p.alpha * expm1f(x / p.alpha)); }
#endif

sdk_status parse(PrepareContext& ctx, unary::Params* p) {
    sdk_status st;
    if ((st = opu::float_attr(ctx, "alpha", 1.0f, &p->alpha)) != SDK_OK) return st;
    if (!(p->alpha != 0.0f)) return ctx.fail(SDK_ERR_BAD_MODEL, "alpha must not be 0");
    return SDK_OK;
}

sdk_status prepare(PrepareContext& ctx) {
    unary::Kernels k;
#if SDK_FEATURE_FP32
    k.f32 = unary::map_f32p<f32>;
#endif
    k.lut = true;
    return unary::prepare(ctx, parse, k);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_celu = {"Celu", sdk::prepare, sdk::unary::run, sdk::kOpInplace};
