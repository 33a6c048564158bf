// DequantizeLinear: int8 -> f32 with the input tensor's per-tensor (scale, zero point):
// y = (q - zp) * scale.
#include "core/op.h"

namespace sdk {
namespace {

struct DqData {
    float scale;
    int32_t zp;
    int64_t count;
};

struct Job {
    const DqData* d;
    const int8_t* x;
    float* y;
};

void range(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    for (int64_t i = begin; i < end; ++i) j.y[i] = (float)((int32_t)j.x[i] - j.d->zp) * j.d->scale;
}

sdk_status prepare(PrepareContext& ctx) {
    if (ctx.num_inputs() != 1 || ctx.num_outputs() != 1 || !ctx.input(0) || !ctx.output(0))
        return ctx.fail(SDK_ERR_BAD_MODEL, "DequantizeLinear takes 1 input and 1 output");
    const Tensor* x = ctx.input(0);
    const Tensor* y = ctx.output(0);
    if (x->dtype != DType::I8 || y->dtype != DType::F32)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "DequantizeLinear supports int8 -> f32 only");
    if (!SDK_FEATURE_INT8) return ctx.fail(SDK_ERR_UNSUPPORTED, "this engine build has no int8 support");
    if (!x->quant || x->quant->axis != -1 || x->quant->count != 1)
        return ctx.fail(SDK_ERR_BAD_MODEL, "input '%s' needs per-tensor quantization", x->name);
    if (!x->shape.equals(y->shape)) return ctx.fail(SDK_ERR_BAD_MODEL, "input and output shapes differ");
    DqData* d = static_cast<DqData*>(ctx.alloc(sizeof(DqData)));
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    d->scale = x->quant->scales[0];
    d->zp = x->quant->zero_points[0];
    d->count = y->shape.count();
    ctx.set_op_data(d);
    return SDK_OK;
}

sdk_status run(const RunContext& ctx) {
    const DqData& d = *static_cast<const DqData*>(ctx.op_data);
    Job j{&d, ctx.in<int8_t>(0), ctx.out<float>(0)};
    parallel_for(ctx.pool, d.count, 16384, range, &j);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_dequantizelinear = {"DequantizeLinear", sdk::prepare, sdk::run, sdk::kOpNone};
