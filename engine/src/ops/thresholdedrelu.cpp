// ThresholdedRelu: y = x > alpha ? x : 0 (f32); `alpha` [1.0].
// Element-wise, in place when allowed (ops/unary_op.h); int8 through a 256-entry table.
#include <math.h>

#include "ops/unary_op.h"

namespace sdk {
namespace {

inline float f32(float x, const unary::Params& p) { return x > p.alpha ? x : 0.0f; }

sdk_status parse(PrepareContext& ctx, unary::Params* p) {
    sdk_status st;
    if ((st = opu::float_attr(ctx, "alpha", 1.0f, &p->alpha)) != SDK_OK) return st;
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_thresholdedrelu = {"ThresholdedRelu", sdk::unary::prepare_f32p<sdk::f32, sdk::parse, true>, sdk::unary::run, sdk::kOpInplace};
