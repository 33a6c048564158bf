// Sub: A - B with numpy broadcasting (rank <= 6); f32, i32, i64 (wrapping). The converter
// keeps rewriting x - constant as an Add (which fuses and quantizes).
// Output may reuse any same-size input that dies here (kOpInplaceAny).
// sdk-kernels: binary
#include "ops/binary_op.h"

namespace sdk {
namespace {

#if SDK_FEATURE_FP32
inline float sub_f(float a, float b) { return a - b; }
#endif

sdk_status prepare(PrepareContext& ctx) {
    BroadcastPlan plan;
    sdk_status st = binary::check_shapes(ctx, &plan);
    if (st != SDK_OK) return st;
    binary::Rows r;
#if SDK_FEATURE_FP32
    r.f32 = binary_row<float, float, sub_f>;
#endif
    r.i32 = binary_row_small<int32_t, int32_t, binary::wrap_sub<int32_t, uint32_t>>;
    r.i64 = binary_row_small<int64_t, int64_t, binary::wrap_sub<int64_t, uint64_t>>;
    return binary::prepare(ctx, plan, r, binary::kSameDType);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_sub = {"Sub", sdk::prepare, sdk::binary::run, sdk::kOpInplaceAny};
