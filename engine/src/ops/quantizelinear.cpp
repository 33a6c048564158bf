// QuantizeLinear: f32 -> int8 with the output tensor's per-tensor (scale, zero point)
// from its QuantRec: q = saturate(round_half_even(x / scale) + zp), as ONNX defines it.
#include <math.h>

#include "core/op.h"

namespace sdk {
#if SDK_FEATURE_X86 && SDK_FEATURE_INT8
namespace s8 {  // kernels/x86/quantizelinear_s8.cpp (int8 perf engineer)
bool cpu_has_avx2();
int64_t quantize_f32_avx2(const float* x, int64_t n, float scale, int32_t zp, int8_t* y);
}  // namespace s8
#endif
namespace {

struct QData {
    float scale;
    int32_t zp;
    int64_t count;
    bool avx2;
};

struct Job {
    const QData* d;
    const float* x;
    int8_t* y;
};

void range(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const float s = j.d->scale;
    const float zp = (float)j.d->zp;
#if SDK_FEATURE_X86 && SDK_FEATURE_INT8
    if (j.d->avx2) begin += s8::quantize_f32_avx2(j.x + begin, end - begin, s, j.d->zp, j.y + begin);
#endif
    for (int64_t i = begin; i < end; ++i) {
        float v = nearbyintf(j.x[i] / s) + zp;  // default rounding mode: half to even
        if (v != v) v = zp;                     // NaN -> the zero point (real 0)
        j.y[i] = (int8_t)(v < -128.0f ? -128 : (v > 127.0f ? 127 : (int32_t)v));
    }
}

sdk_status prepare(PrepareContext& ctx) {
    if (ctx.num_inputs() != 1 || ctx.num_outputs() != 1 || !ctx.input(0) || !ctx.output(0))
        return ctx.fail(SDK_ERR_BAD_MODEL, "QuantizeLinear takes 1 input and 1 output");
    const Tensor* x = ctx.input(0);
    const Tensor* y = ctx.output(0);
    if (x->dtype != DType::F32 || y->dtype != DType::I8)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "QuantizeLinear supports f32 -> int8 only");
    if (!SDK_FEATURE_INT8) return ctx.fail(SDK_ERR_UNSUPPORTED, "this engine build has no int8 support");
    if (!y->quant || y->quant->axis != -1 || y->quant->count != 1 || !(y->quant->scales[0] > 0.0f))
        return ctx.fail(SDK_ERR_BAD_MODEL, "output '%s' needs per-tensor quantization with a positive scale", y->name);
    if (!x->shape.equals(y->shape)) return ctx.fail(SDK_ERR_BAD_MODEL, "input and output shapes differ");
    QData* d = static_cast<QData*>(ctx.alloc(sizeof(QData)));
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    d->scale = y->quant->scales[0];
    d->zp = y->quant->zero_points[0];
    d->count = y->shape.count();
#if SDK_FEATURE_X86 && SDK_FEATURE_INT8
    d->avx2 = s8::cpu_has_avx2();
#else
    d->avx2 = false;
#endif
    if (d->zp < -128 || d->zp > 127) return ctx.fail(SDK_ERR_BAD_MODEL, "zero point %d outside int8", d->zp);
    ctx.set_op_data(d);
    return SDK_OK;
}

sdk_status run(const RunContext& ctx) {
    const QData& d = *static_cast<const QData*>(ctx.op_data);
    Job j{&d, ctx.in<float>(0), ctx.out<int8_t>(0)};
    parallel_for(ctx.pool, d.count, 16384, range, &j);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_quantizelinear = {"QuantizeLinear", sdk::prepare, sdk::run, sdk::kOpNone};
