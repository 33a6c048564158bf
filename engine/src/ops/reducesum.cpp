// ReduceSum: the sum over `axes`, f32, i64; see ops/reduce_op.h.
#include "ops/reduce_op.h"

namespace sdk {
namespace {

constexpr int kDTypes = reduce_op::kF32 | reduce_op::kInts;

sdk_status prepare(PrepareContext& ctx) { return reduce_op::prepare(ctx, kDTypes, reduce_op::kNone); }

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_reducesum = {"ReduceSum", sdk::prepare,
                                         sdk::reduce_op::run<sdk::ref::reduce::Sum, sdk::kDTypes>, sdk::kOpNone};
