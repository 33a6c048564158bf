// Clip: y = min(max(x, min), max) with `min`/`max` float attributes (f32; integer Clip is
// lowered by the converter to Max and Min). Element-wise, in place when allowed
// (ops/unary_op.h); int8 through a 256-entry table.
#include "kernels/ref/unary.h"
#include "ops/unary_op.h"

namespace sdk {
namespace {

sdk_status parse(PrepareContext& ctx, unary::Params* p) {
    sdk_status st;
    if ((st = opu::float_attr(ctx, "min", -INFINITY, &p->lo)) != SDK_OK) return st;
    if ((st = opu::float_attr(ctx, "max", INFINITY, &p->hi)) != SDK_OK) return st;
    if (isnan(p->lo) || isnan(p->hi) || p->lo > p->hi)
        return ctx.fail(SDK_ERR_BAD_MODEL, "min %g must not exceed max %g", (double)p->lo, (double)p->hi);
    return SDK_OK;
}

inline void kernel(const void* x, void* y, int64_t n, const unary::Params& p) {
    ref::clip_f32(static_cast<const float*>(x), static_cast<float*>(y), n, p.lo, p.hi);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_clip = {"Clip", sdk::unary::prepare_with<sdk::kernel, sdk::parse, true>, sdk::unary::run, sdk::kOpInplace};
