// Div: A / B with numpy broadcasting (rank <= 6); f32, i32, i64 (truncating toward zero;
// x / 0 = 0 and INT_MIN / -1 = INT_MIN, where C would trap). The converter keeps
// rewriting x / constant as a Mul by the reciprocal.
// Output may reuse any same-size input that dies here (kOpInplaceAny).
// sdk-kernels: binary
#include "ops/binary_op.h"

namespace sdk {
namespace {

#if SDK_FEATURE_FP32
inline float div_f(float a, float b) { return a / b; }
#endif

template <class T>
inline T div_i(T a, T b) {
    if (b == 0) return 0;
    if (b == -1) return static_cast<T>(0 - static_cast<uint64_t>(a));  // no overflow trap on INT_MIN
    return a / b;
}

sdk_status prepare(PrepareContext& ctx) {
    BroadcastPlan plan;
    sdk_status st = binary::check_shapes(ctx, &plan);
    if (st != SDK_OK) return st;
    binary::Rows r;
#if SDK_FEATURE_FP32
    r.f32 = binary_row<float, float, div_f>;
#endif
    r.i32 = binary_row_small<int32_t, int32_t, div_i<int32_t>>;
    r.i64 = binary_row_small<int64_t, int64_t, div_i<int64_t>>;
    return binary::prepare(ctx, plan, r, binary::kSameDType);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_div = {"Div", sdk::prepare, sdk::binary::run, sdk::kOpInplaceAny};
