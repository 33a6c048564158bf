// Softsign: y = x / (1 + |x|) (f32).
// Element-wise, in place when allowed (ops/unary_op.h); int8 through a 256-entry table.
#include <math.h>

#include "ops/unary_op.h"

namespace sdk {
namespace {

inline float f32(float x) { return x / (1.0f + fabsf(x)); }

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_softsign = {"Softsign", sdk::unary::prepare_f32<sdk::f32, true>, sdk::unary::run, sdk::kOpInplace};
