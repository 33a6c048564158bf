// Relu: y = max(x, 0). The example of an elementwise op: in-place capable (kOpInplace),
// f32 and s8 kernels behind the feature macros, work split with parallel_for.
#include "ops/op_util.h"
#include "kernels/ref/relu.h"

namespace {

using namespace sdk;

// Elements per parallel chunk: small tensors stay on one thread (a hand-off costs more).
constexpr int64_t kGrain = 16384;

struct ReluData {
    DType dtype;
    ReluS8Params s8;
};

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const Tensor& y = *ctx.output(0);
    if ((st = opu::check_dtype_supported(ctx, x)) != SDK_OK) return st;
    if (x.dtype != DType::F32 && x.dtype != DType::I8)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "input '%.64s' is %s; Relu supports f32 and i8", x.name, dtype_name(x.dtype));
    if (y.dtype != x.dtype)
        return ctx.fail(SDK_ERR_BAD_MODEL, "output dtype %s differs from input dtype %s", dtype_name(y.dtype),
                        dtype_name(x.dtype));
    if ((st = ctx.check_output_shape(0, x.shape)) != SDK_OK) return st;
    ReluData* d = static_cast<ReluData*>(ctx.alloc(sizeof(ReluData)));
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    d->dtype = x.dtype;
    if (x.dtype == DType::I8) {
        float sx, sy;
        int32_t zx, zy;
        if (!opu::per_tensor_quant(x, &sx, &zx) || !opu::per_tensor_quant(y, &sy, &zy))
            return ctx.fail(SDK_ERR_BAD_MODEL, "int8 Relu needs per-tensor quantization on its input and output");
        d->s8.in_zero_point = zx;
        d->s8.out_zero_point = zy;
        d->s8.identity = sx == sy && zx == zy;
        d->s8.requant = quantize_multiplier(static_cast<double>(sx) / static_cast<double>(sy));
    }
    ctx.set_op_data(d);
    return SDK_OK;
}

struct Job {
    const RunContext* ctx;
    const ReluData* d;
};

void run_range(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
#if SDK_FEATURE_FP32
    if (j.d->dtype == DType::F32) {
        relu_f32(j.ctx->in<float>(0) + begin, j.ctx->out<float>(0) + begin, end - begin);
        return;
    }
#endif
#if SDK_FEATURE_INT8
    if (j.d->dtype == DType::I8) relu_s8(j.ctx->in<int8_t>(0) + begin, j.ctx->out<int8_t>(0) + begin, end - begin, j.d->s8);
#endif
}

sdk_status run(const RunContext& ctx) {
    Job job{&ctx, static_cast<const ReluData*>(ctx.op_data)};
    parallel_for(ctx.pool, ctx.output(0).shape.count(), kGrain, run_range, &job);
    return SDK_OK;
}

}  // namespace

extern const sdk::OpDef sdk_op_relu = {"Relu", prepare, run, sdk::kOpInplace};
