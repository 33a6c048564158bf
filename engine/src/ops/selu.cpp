// Selu: y = gamma * (x <= 0 ? alpha * (e^x - 1) : x) (f32); `alpha` [1.6732632], `gamma` [1.0507010].
// Element-wise, in place when allowed (ops/unary_op.h); int8 through a 256-entry table.
#include <math.h>

#include "ops/unary_op.h"

namespace sdk {
namespace {

inline float f32(float x, const unary::Params& p) { return x <= 0.0f ? p.gamma * (p.alpha * expf(x) - p.alpha) : p.gamma * x; }

sdk_status parse(PrepareContext& ctx, unary::Params* p) {
    sdk_status st;
    if ((st = opu::float_attr(ctx, "alpha", 1.67326319217681884765625f, &p->alpha)) != SDK_OK) return st;
    if ((st = opu::float_attr(ctx, "gamma", 1.05070102214813232421875f, &p->gamma)) != SDK_OK) return st;
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_selu = {"Selu", sdk::unary::prepare_f32p<sdk::f32, sdk::parse, true>, sdk::unary::run, sdk::kOpInplace};
