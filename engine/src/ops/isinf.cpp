// IsInf: y = x is +inf (with `detect_positive` [1]) or -inf (with `detect_negative` [1])
// (f32 in, bool out). Element-wise (ops/unary_op.h); never in place.
#include <math.h>

#include "ops/unary_op.h"

namespace sdk {
namespace {

inline void kernel(const void* x, void* y, int64_t n, const unary::Params& p) {
    const float* a = static_cast<const float*>(x);
    uint8_t* b = static_cast<uint8_t*>(y);
    const float pos = p.alpha != 0.0f ? INFINITY : NAN, neg = p.beta != 0.0f ? -INFINITY : NAN;
    for (int64_t i = 0; i < n; ++i) b[i] = a[i] == pos || a[i] == neg;  // NaN never compares equal
}

sdk_status parse(PrepareContext& ctx, unary::Params* p) {
    int32_t pos = 1, neg = 1;
    sdk_status st;
    if ((st = opu::int_attr(ctx, "detect_positive", 1, &pos)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "detect_negative", 1, &neg)) != SDK_OK) return st;
    p->alpha = pos ? 1.0f : 0.0f;
    p->beta = neg ? 1.0f : 0.0f;
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_isinf = {"IsInf", sdk::unary::prepare_with<sdk::kernel, sdk::parse, false, true>, sdk::unary::run, sdk::kOpNone};
