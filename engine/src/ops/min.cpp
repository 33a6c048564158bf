// Min: the smaller of A and B, element-wise with numpy broadcasting (rank <= 6); f32 (NaN
// propagates, as numpy), i32, i64. ONNX's variadic Min is a chain of these (converter).
// Output may reuse any same-size input that dies here (kOpInplaceAny).
// sdk-kernels: binary
#include "ops/binary_op.h"

namespace sdk {
namespace {

#if SDK_FEATURE_FP32
inline float f32(float a, float b) { return a != a ? a : (b != b ? b : (a < b ? a : b)); }
#endif

template <class T>
inline T integer(T a, T b) { return a < b ? a : b; }

sdk_status prepare(PrepareContext& ctx) {
    BroadcastPlan plan;
    sdk_status st = binary::check_shapes(ctx, &plan);
    if (st != SDK_OK) return st;
    binary::Rows r;
#if SDK_FEATURE_FP32
    r.f32 = binary_row<float, float, f32>;
#endif
    r.i32 = binary_row_small<int32_t, int32_t, integer<int32_t>>;
    r.i64 = binary_row_small<int64_t, int64_t, integer<int64_t>>;
    return binary::prepare(ctx, plan, r, binary::kSameDType);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_min = {"Min", sdk::prepare, sdk::binary::run, sdk::kOpInplaceAny};
