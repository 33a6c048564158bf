// Clip: y = min(max(x, min), max) with `min`/`max` float attributes. Elementwise, in place when allowed (ops/unary_op.h).
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

void kernel(const float* x, float* y, int64_t n, const unary::Params& p) {
    (void)p;  // only Clip reads its bounds
#if SDK_FEATURE_FP32
    ref::clip_f32(x, y, n, p.lo, p.hi);
#else
    (void)x, (void)y, (void)n;  // unreachable: prepare() refuses every model without fp32 kernels
#endif
}

sdk_status prepare(PrepareContext& ctx) { return unary::prepare(ctx, parse); }

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_clip = {"Clip", sdk::prepare, sdk::unary::run<sdk::kernel>, sdk::kOpInplace};
