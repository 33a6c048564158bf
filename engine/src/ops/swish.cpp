// Swish: y = x * sigmoid(alpha * x) (f32), `alpha` [1.0]; alpha 1 is SiLU, which the
// converter also fuses from x * Sigmoid(x). Element-wise, in place when allowed
// (ops/unary_op.h); int8 through a 256-entry table. f32 SiLU: the SIMD kernel of the
// fused activation (sigmoid_span_f32, kernels/ref/act_f32.h).
#include "ops/unary_op.h"

namespace sdk {
namespace {

#if SDK_FEATURE_FP32
void silu(const void* x, void* y, int64_t n, const unary::Params&) {
    ref::sigmoid_span_f32(static_cast<const float*>(x), static_cast<float*>(y), n, true);
}

inline float swish(float x, const unary::Params& p) { return x * ref::sigmoid_f32(p.alpha * x); }
#endif

sdk_status parse(PrepareContext& ctx, unary::Params* p) { return opu::float_attr(ctx, "alpha", 1.0f, &p->alpha); }

sdk_status prepare(PrepareContext& ctx) {
    unary::Kernels k;
#if SDK_FEATURE_FP32
    k.f32 = ctx.attr_float("alpha", 1.0f) == 1.0f ? silu : unary::map_f32p<swish>;
#endif
    k.lut = true;
    return unary::prepare(ctx, parse, k);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_swish = {"Swish", sdk::prepare, sdk::unary::run, sdk::kOpInplace};
