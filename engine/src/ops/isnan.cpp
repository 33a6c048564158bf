// IsNaN: y = x is NaN (f32 in, bool out). Element-wise (ops/unary_op.h); never in place
// (the output is smaller than the input).
#include "ops/unary_op.h"

namespace sdk {
namespace {

inline void kernel(const void* x, void* y, int64_t n, const unary::Params&) {
    const float* a = static_cast<const float*>(x);
    uint8_t* b = static_cast<uint8_t*>(y);
    for (int64_t i = 0; i < n; ++i) b[i] = a[i] != a[i];
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_isnan = {"IsNaN", sdk::unary::prepare_with<sdk::kernel, nullptr, false, true>, sdk::unary::run, sdk::kOpNone};
