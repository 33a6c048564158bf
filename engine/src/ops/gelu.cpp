// Gelu: y = x / 2 * (1 + erf(x / sqrt 2)), or with `approximate` = "tanh"
// y = x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))) (f32; SIMD kernels:
// gelu_best_f32 in kernels/ref/unary.h). The converter also makes it from the Erf and Tanh
// formulas of older exports. Element-wise, in place when allowed (ops/unary_op.h); int8
// through a 256-entry table.
#include <string.h>

#include "core/status.h"  // str_eq

#include "kernels/ref/unary.h"
#include "ops/unary_op.h"

namespace sdk {
namespace {

inline void kernel(const void* x, void* y, int64_t n, const unary::Params& p) {
    gelu_best_f32(static_cast<const float*>(x), static_cast<float*>(y), n, p.alpha != 0.0f);
}

sdk_status parse(PrepareContext& ctx, unary::Params* p) {
    const char* a = ctx.attr_string("approximate", "none");
    if (!str_eq(a, "none") && !str_eq(a, "tanh"))
        return ctx.fail(SDK_ERR_BAD_MODEL, "approximate is '%.32s'; expected 'none' or 'tanh'", a);
    p->alpha = a[0] == 't' ? 1.0f : 0.0f;  // the tanh approximation
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_gelu = {"Gelu", sdk::unary::prepare_with<sdk::kernel, sdk::parse, true>, sdk::unary::run, sdk::kOpInplace};
