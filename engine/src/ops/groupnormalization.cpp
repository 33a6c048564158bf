// GroupNormalization (per-channel scale and bias, the opset-21 meaning; the converter
// expands opset-18 per-group scales and maps InstanceNormalization here with one group per
// channel): X [N, C, ...] in `num_groups` groups of C/num_groups channels, each (n, group)
// normalized over its channels and spatial elements, then channel c scaled by scale[c] and
// shifted by bias[c], in one write pass.
// sdk-kernels: layernormalization
#include "core/op.h"
#include "kernels/ref/norm.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

struct Data {
    int64_t n, groups, cpg, spatial;  // cpg: channels per group
    float eps;
};

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 3, 3, 3, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    if (x.shape.rank < 2)
        return ctx.fail(SDK_ERR_BAD_MODEL, "X '%s' has rank %d; expected [N, C, ...]", x.name, x.shape.rank);
    Data d;
    int32_t g = 0;
    if ((st = opu::int_attr(ctx, "num_groups", 0, &g)) != SDK_OK) return st;
    if ((st = opu::float_attr(ctx, "epsilon", 1e-5f, &d.eps)) != SDK_OK) return st;
    int32_t c = x.shape.dims[1];
    if (g < 1 || c % g)
        return ctx.fail(SDK_ERR_BAD_MODEL, "num_groups %d must be >= 1 and divide the %d channels", g, c);
    if (!(d.eps >= 0.0f)) return ctx.fail(SDK_ERR_BAD_MODEL, "epsilon %g must be >= 0", (double)d.eps);
    for (int i = 1; i <= 2; ++i)
        if (ctx.input(i)->shape.count() != c)
            return ctx.fail(SDK_ERR_BAD_MODEL, "%s '%s' must have one value per channel (%d)", i == 1 ? "scale" : "bias",
                            ctx.input(i)->name, c);
    d.n = x.shape.dims[0];
    d.groups = g;
    d.cpg = c / g;
    d.spatial = 1;
    for (int i = 2; i < x.shape.rank; ++i) d.spatial *= x.shape.dims[i];
    if ((st = ctx.check_output_shape(0, x.shape)) != SDK_OK) return st;
    return opu::keep_f32_data(ctx, d);
}

struct Job {
    const RunContext* ctx;
    const Data* d;
};

void groups(void* arg, int64_t begin, int64_t end) {
#if SDK_FEATURE_FP32
    const Job& j = *static_cast<const Job*>(arg);
    const Data& d = *j.d;
    const float* scale = j.ctx->in<float>(1);
    const float* bias = j.ctx->in<float>(2);
    const int64_t len = d.cpg * d.spatial;
    for (int64_t r = begin; r < end; ++r) {
        const float* x = j.ctx->in<float>(0) + r * len;
        float* y = j.ctx->out<float>(0) + r * len;
        float mean, inv;
        ref::norm_stats_f32(x, len, d.eps, false, &mean, &inv);
        const int64_t c0 = (r % d.groups) * d.cpg;
        for (int64_t c = 0; c < d.cpg; ++c) {
            const float a = inv * scale[c0 + c];
            ref::affine_f32(x + c * d.spatial, y + c * d.spatial, d.spatial, a, bias[c0 + c] - mean * a);
        }
    }
#else
    (void)arg, (void)begin, (void)end;
#endif
}

sdk_status run(const RunContext& ctx) {
    Job j{&ctx, static_cast<const Data*>(ctx.op_data)};
    int64_t len = j.d->cpg * j.d->spatial;
    int64_t grain = len > 0 ? 16384 / len : 1;
    parallel_for(ctx.pool, j.d->n * j.d->groups, grain < 1 ? 1 : grain, groups, &j);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_groupnormalization = {"GroupNormalization", sdk::prepare, sdk::run, sdk::kOpInplace};
