// Ceil: y = ceil(x) (f32).
// Element-wise, in place when allowed (ops/unary_op.h).
#include <math.h>

#include "ops/unary_op.h"

namespace sdk {
namespace {

inline float f32(float x) { return ceilf(x); }

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_ceil = {"Ceil", sdk::unary::prepare_f32<sdk::f32>, sdk::unary::run, sdk::kOpInplace};
