// Tanh: y = tanh(x) (f32; SIMD kernels: tanh_best_f32 in kernels/ref/unary.h).
// Element-wise, in place when allowed (ops/unary_op.h); int8 through a 256-entry table.
#include "kernels/ref/unary.h"
#include "ops/unary_op.h"

namespace sdk {
namespace {

inline void kernel(const void* x, void* y, int64_t n, const unary::Params&) {
    tanh_best_f32(static_cast<const float*>(x), static_cast<float*>(y), n);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_tanh = {"Tanh", sdk::unary::prepare_with<sdk::kernel, nullptr, true>, sdk::unary::run, sdk::kOpInplace};
