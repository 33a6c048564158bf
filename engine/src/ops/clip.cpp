// Clip: y = min(max(x, min), max) with `min`/`max` float attributes. In-place capable (kOpInplace); work split with parallel_for.
#include "core/op.h"
#include "kernels/ref/unary.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

constexpr int64_t kGrain = 16384;  // elements per chunk: smaller tensors stay on one thread

struct UnaryData {
    float lo, hi;
};

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor* x = ctx.input(0);
    if ((st = ctx.check_output_shape(0, x->shape)) != SDK_OK) return st;
    UnaryData tmp = {-INFINITY, INFINITY};
    if ((st = opu::float_attr(ctx, "min", -INFINITY, &tmp.lo)) != SDK_OK) return st;
    if ((st = opu::float_attr(ctx, "max", INFINITY, &tmp.hi)) != SDK_OK) return st;
    if (isnan(tmp.lo) || isnan(tmp.hi) || tmp.lo > tmp.hi)
        return ctx.fail(SDK_ERR_BAD_MODEL, "min %g must not exceed max %g", (double)tmp.lo, (double)tmp.hi);
    if ((st = opu::require_f32(ctx)) != SDK_OK) return st;
    UnaryData* d = opu::alloc_op_data<UnaryData>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    *d = tmp;
    return SDK_OK;
}

struct Job {
    const RunContext* ctx;
    const UnaryData* d;
};

void run_range(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    (void)j.d;
#if SDK_FEATURE_FP32
    const float* x = j.ctx->in<float>(0) + begin;
    float* y = j.ctx->out<float>(0) + begin;
    ref::clip_f32(x, y, end - begin, j.d->lo, j.d->hi);
#else
    (void)begin;
    (void)end;
#endif
}

sdk_status run(const RunContext& ctx) {
    Job job{&ctx, static_cast<const UnaryData*>(ctx.op_data)};
    parallel_for(ctx.pool, ctx.output(0).shape.count(), kGrain, run_range, &job);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_clip = {"Clip", sdk::prepare, sdk::run, sdk::kOpInplace};
