// Not: y = !x (bool). Element-wise, in place when allowed (ops/unary_op.h).
#include "ops/unary_op.h"

namespace sdk {
namespace {

inline uint8_t logical_not(uint8_t x) { return x ? 0 : 1; }

sdk_status prepare(PrepareContext& ctx) {
    unary::Kernels k;
    k.b8 = unary::map<uint8_t, logical_not>;
    return unary::prepare(ctx, nullptr, k);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_not = {"Not", sdk::prepare, sdk::unary::run, sdk::kOpInplace};
