// ReduceL2: the square root of the sum of squares over `axes`, f32; see ops/reduce_op.h.
#include "ops/reduce_op.h"

namespace sdk {
namespace {

constexpr int kDTypes = reduce_op::kF32;

sdk_status prepare(PrepareContext& ctx) { return reduce_op::prepare(ctx, kDTypes, reduce_op::kSqrt); }

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_reducel2 = {"ReduceL2", sdk::prepare,
                                         sdk::reduce_op::run<sdk::ref::reduce::L2, sdk::kDTypes>, sdk::kOpNone};
