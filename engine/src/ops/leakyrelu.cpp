// LeakyRelu: y = x < 0 ? alpha * x : x (f32); `alpha` [0.01].
// Element-wise, in place when allowed (ops/unary_op.h); int8 through a 256-entry table.
#include <math.h>

#include "ops/unary_op.h"

namespace sdk {
namespace {

#if SDK_FEATURE_FP32
inline float f32(float x, const unary::Params& p) { return x < 0.0f ? p.alpha * x : x; }
#endif

sdk_status parse(PrepareContext& ctx, unary::Params* p) {
    sdk_status st;
    if ((st = opu::float_attr(ctx, "alpha", 0.01f, &p->alpha)) != SDK_OK) return st;
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

extern const sdk::OpDef sdk_op_leakyrelu = {"LeakyRelu", sdk::prepare, sdk::unary::run, sdk::kOpInplace};
