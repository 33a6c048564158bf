// LeakyRelu: y = x < 0 ? alpha * x : x (f32); `alpha` [0.01].
// Element-wise, in place when allowed (ops/unary_op.h); int8 through a 256-entry table.
#include <math.h>

#include "ops/unary_op.h"

namespace sdk {
namespace {

inline float f32(float x, const unary::Params& p) { return x < 0.0f ? p.alpha * x : x; }

sdk_status parse(PrepareContext& ctx, unary::Params* p) {
    sdk_status st;
    if ((st = opu::float_attr(ctx, "alpha", 0.01f, &p->alpha)) != SDK_OK) return st;
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_leakyrelu = {"LeakyRelu", sdk::unary::prepare_f32p<sdk::f32, sdk::parse, true>, sdk::unary::run, sdk::kOpInplace};
