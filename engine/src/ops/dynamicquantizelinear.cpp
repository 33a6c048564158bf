// DynamicQuantizeLinear: x (f32) -> y (u8), y_scale (f32 scalar), y_zero_point (u8 scalar)
// from x's range extended to include 0: scale = (max - min) / 255, zp = saturate(round(-min /
// scale)), y = saturate(round(x / scale) + zp), rounding half to even (ONNX's definition).
#include <math.h>

#include "core/op.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 3);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    if (x.dtype != DType::F32 || ctx.output(0)->dtype != DType::U8 || ctx.output(1)->dtype != DType::F32 ||
        ctx.output(2)->dtype != DType::U8)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "expects f32 x and outputs u8 y, f32 y_scale, u8 y_zero_point");
    if (!SDK_FEATURE_FP32)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "this engine was built without f32 kernels (feature fp32 disabled)");
    if ((st = ctx.check_output_shape(0, x.shape)) != SDK_OK) return st;
    for (int i = 1; i <= 2; ++i)
        if (ctx.output(i)->shape.count() != 1)
            return ctx.fail(SDK_ERR_BAD_MODEL, "output %d must be a scalar", i);
    return SDK_OK;
}

sdk_status run(const RunContext& ctx) {
    const float* x = ctx.in<float>(0);
    const int64_t n = ctx.input(0).shape.count();
    float lo = 0.0f, hi = 0.0f;
    for (int64_t i = 0; i < n; ++i) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    const float scale = (hi - lo) / 255.0f;
    float zpf = scale > 0.0f ? nearbyintf(0.0f - lo / scale) : 0.0f;
    zpf = zpf < 0.0f || zpf != zpf ? 0.0f : (zpf > 255.0f ? 255.0f : zpf);  // NaN (from -inf/inf): 0
    uint8_t* y = ctx.out<uint8_t>(0);
    for (int64_t i = 0; i < n; ++i) {
        float v = scale > 0.0f ? nearbyintf(x[i] / scale) + zpf : zpf;
        y[i] = (uint8_t)(v != v || v < 0.0f ? 0 : (v > 255.0f ? 255 : (int32_t)v));
    }
    *ctx.out<float>(1) = scale;
    *ctx.out<uint8_t>(2) = (uint8_t)zpf;
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_dynamicquantizelinear = {"DynamicQuantizeLinear", sdk::prepare, sdk::run,
                                                        sdk::kOpNone};
