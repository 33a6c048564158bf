// Floor: y = floor(x) (f32).
// Element-wise, in place when allowed (ops/unary_op.h).
#include <math.h>

#include "ops/unary_op.h"

namespace sdk {
namespace {

inline float f32(float x) { return floorf(x); }

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_floor = {"Floor", sdk::unary::prepare_f32<sdk::f32>, sdk::unary::run, sdk::kOpInplace};
