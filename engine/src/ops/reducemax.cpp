// ReduceMax: the maximum (NaN propagates) over `axes`, f32, i64, bool; see ops/reduce_op.h.
#include "ops/reduce_op.h"

namespace sdk {
namespace {

constexpr int kDTypes = reduce_op::kF32 | reduce_op::kInts | reduce_op::kBool;

sdk_status prepare(PrepareContext& ctx) { return reduce_op::prepare(ctx, kDTypes, reduce_op::kNone); }

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_reducemax = {"ReduceMax", sdk::prepare,
                                         sdk::reduce_op::run<sdk::ref::reduce::Max, sdk::kDTypes>, sdk::kOpNone};
