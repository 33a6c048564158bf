// LessOrEqual: y = A <= B (bool output; NaN compares false), element-wise with numpy broadcasting
// (rank <= 6); inputs f32, i32, i64. Never in place: a broadcast input can have the
// output's byte size (4 floats, 16 bools) but not its shape.
// sdk-kernels: binary
#include "ops/binary_op.h"

namespace sdk {
namespace {

template <class T>
inline uint8_t cmp(T a, T b) { return a <= b ? 1 : 0; }

sdk_status prepare(PrepareContext& ctx) {
    BroadcastPlan plan;
    sdk_status st = binary::check_shapes(ctx, &plan);
    if (st != SDK_OK) return st;
    binary::Rows r;
#if SDK_FEATURE_FP32
    r.f32 = binary_row_small<float, uint8_t, cmp<float>>;
#endif
    r.i32 = binary_row_small<int32_t, uint8_t, cmp<int32_t>>;
    r.i64 = binary_row_small<int64_t, uint8_t, cmp<int64_t>>;
    return binary::prepare(ctx, plan, r, binary::kBool);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_lessorequal = {"LessOrEqual", sdk::prepare, sdk::binary::run, sdk::kOpNone};
