// Xor: logical xor of two bool tensors, element-wise with numpy broadcasting (rank <= 6).
// Output may reuse any same-size input that dies here (kOpInplaceAny).
// sdk-kernels: binary
#include "ops/binary_op.h"

namespace sdk {
namespace {

inline uint8_t logic(uint8_t a, uint8_t b) { return ((a != 0) != (b != 0)) ? 1 : 0; }

sdk_status prepare(PrepareContext& ctx) {
    BroadcastPlan plan;
    sdk_status st = binary::check_shapes(ctx, &plan);
    if (st != SDK_OK) return st;
    binary::Rows r;
    r.b8 = binary_row_small<uint8_t, uint8_t, logic>;
    return binary::prepare(ctx, plan, r, binary::kSameDType);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_xor = {"Xor", sdk::prepare, sdk::binary::run, sdk::kOpInplaceAny};
