// LpNormalization: x / ||x||_p along `axis` (p = 1 or 2); a line whose norm is 0 gives 0s.
// sdk-kernels: layernormalization
#include "core/op.h"
#include "kernels/ref/norm.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

struct Data {
    int64_t outer, n, inner;
    int32_t p;
};

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    int32_t axis = -1, p = 2;
    if ((st = opu::int_attr(ctx, "axis", -1, &axis)) != SDK_OK) return st;
    if ((st = opu::norm_axis(ctx, "axis", axis, x.shape.rank, &axis)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "p", 2, &p)) != SDK_OK) return st;
    if (p != 1 && p != 2) return ctx.fail(SDK_ERR_BAD_MODEL, "p = %d; LpNormalization supports p 1 and 2", p);
    Data d = {1, x.shape.dims[axis], 1, p};
    for (int i = 0; i < axis; ++i) d.outer *= x.shape.dims[i];
    for (int i = axis + 1; i < x.shape.rank; ++i) d.inner *= x.shape.dims[i];
    if ((st = ctx.check_output_shape(0, x.shape)) != SDK_OK) return st;
    return opu::keep_f32_data(ctx, d);
}

struct Job {
    const RunContext* ctx;
    const Data* d;
};

void lines(void* arg, int64_t begin, int64_t end) {
#if SDK_FEATURE_FP32
    const Job& j = *static_cast<const Job*>(arg);
    const Data& d = *j.d;
    for (int64_t l = begin; l < end; ++l) {
        int64_t off = (l / d.inner) * d.n * d.inner + l % d.inner;
        ref::lp_normalize_f32(j.ctx->in<float>(0) + off, j.ctx->out<float>(0) + off, d.n, d.inner, d.p);
    }
#else
    (void)arg, (void)begin, (void)end;
#endif
}

sdk_status run(const RunContext& ctx) {
    Job j{&ctx, static_cast<const Data*>(ctx.op_data)};
    int64_t grain = j.d->n > 0 ? 16384 / j.d->n : 1;
    parallel_for(ctx.pool, j.d->outer * j.d->inner, grain < 1 ? 1 : grain, lines, &j);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_lpnormalization = {"LpNormalization", sdk::prepare, sdk::run, sdk::kOpInplace};
