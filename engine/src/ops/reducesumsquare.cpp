// ReduceSumSquare: the sum of squares over `axes`, f32; see ops/reduce_op.h.
#include "ops/reduce_op.h"

namespace sdk {
namespace {

constexpr int kDTypes = reduce_op::kF32;

sdk_status prepare(PrepareContext& ctx) { return reduce_op::prepare(ctx, kDTypes, reduce_op::kNone); }

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_reducesumsquare = {"ReduceSumSquare", sdk::prepare,
                                         sdk::reduce_op::run<sdk::ref::reduce::SumSquare, sdk::kDTypes>, sdk::kOpNone};
