// Softplus: y = ln(1 + e^x) (f32), without overflow for large x.
// Element-wise, in place when allowed (ops/unary_op.h); int8 through a 256-entry table.
#include <math.h>

#include "ops/unary_op.h"

namespace sdk {
namespace {

inline float f32(float x) { return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x)); }

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_softplus = {"Softplus", sdk::unary::prepare_f32<sdk::f32, true>, sdk::unary::run, sdk::kOpInplace};
