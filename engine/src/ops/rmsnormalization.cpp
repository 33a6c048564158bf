// RMSNormalization: X / sqrt(mean(X^2 over the axes from `axis` on) + epsilon) * Scale.
// Shared skeleton: ops/norm_op.h.
// sdk-kernels: layernormalization
#include "ops/norm_op.h"

namespace sdk {
namespace {
sdk_status prepare(PrepareContext& ctx) { return norm_op::prepare(ctx, true, 1); }
}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_rmsnormalization = {"RMSNormalization", sdk::prepare, sdk::norm_op::run,
                                                   sdk::kOpInplace};
