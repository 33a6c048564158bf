// LayerNormalization: X normalized over the axes from `axis` on (one row per outer index),
// then * Scale + B; optional outputs Mean and InvStdDev (one per row). Shared skeleton:
// ops/norm_op.h, kernels kernels/ref/layernormalization_f32.cpp.
#include "ops/norm_op.h"

namespace sdk {
namespace {
sdk_status prepare(PrepareContext& ctx) { return norm_op::prepare(ctx, false, 3); }
}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_layernormalization = {"LayerNormalization", sdk::prepare, sdk::norm_op::run,
                                                     sdk::kOpInplace};
