// Shared skeleton of the row normalizations (LayerNormalization, RMSNormalization): X
// viewed as [outer, inner] at `axis`, each row normalized over its inner elements, then
// scaled (and shifted) element-wise by Scale[inner] (and B[inner]). Optional outputs 1 and
// 2 (LayerNormalization's Mean and InvStdDev) get one value per row. Header-only.
// sdk-kernels: layernormalization
#pragma once

#include "core/op.h"
#include "kernels/ref/norm.h"
#include "ops/op_util.h"

namespace sdk {
namespace norm_op {

struct Data {
    int64_t outer, inner;
    float eps;
    bool rms;
};

// inputs: X, Scale[, B]; outputs: Y[, Mean[, InvStdDev]] (max_outputs 1 for RMSNormalization)
inline sdk_status prepare(PrepareContext& ctx, bool rms, int max_outputs) {
    int nout = ctx.num_outputs();
    if (nout < 1 || nout > max_outputs)
        return ctx.fail(SDK_ERR_BAD_MODEL, "expects 1 to %d outputs, got %d", max_outputs, nout);
    sdk_status st = opu::check_arity(ctx, 2, 3, 2, nout);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    int32_t axis = -1;
    if ((st = opu::int_attr(ctx, "axis", -1, &axis)) != SDK_OK) return st;
    if ((st = opu::norm_axis(ctx, "axis", axis, x.shape.rank, &axis)) != SDK_OK) return st;
    Data d;
    if ((st = opu::float_attr(ctx, "epsilon", 1e-5f, &d.eps)) != SDK_OK) return st;
    if (!(d.eps >= 0.0f)) return ctx.fail(SDK_ERR_BAD_MODEL, "epsilon %g must be >= 0", (double)d.eps);
    d.rms = rms;
    d.outer = 1;
    d.inner = 1;
    Shape stat = x.shape;
    for (int i = 0; i < x.shape.rank; ++i) {
        if (i < axis) {
            d.outer *= x.shape.dims[i];
        } else {
            d.inner *= x.shape.dims[i];
            stat.dims[i] = 1;
        }
    }
    for (int i = 1; i <= 2; ++i) {
        const Tensor* p = ctx.input(i);
        if (p && p->shape.count() != d.inner)
            return ctx.fail(SDK_ERR_BAD_MODEL,
                            "%s '%s' has %lld elements; it must have one per normalized element (%lld; the converter "
                            "expands broadcast scales)",
                            i == 1 ? "Scale" : "B", p->name, (long long)p->shape.count(), (long long)d.inner);
    }
    if ((st = ctx.check_output_shape(0, x.shape)) != SDK_OK) return st;
    for (int i = 1; i < nout; ++i)
        if ((st = ctx.check_output_shape(i, stat)) != SDK_OK) return st;
    return opu::keep_f32_data(ctx, d);
}

struct Job {
    const RunContext* ctx;
    const Data* d;
};

inline void rows(void* arg, int64_t begin, int64_t end) {
#if SDK_FEATURE_FP32
    const Job& j = *static_cast<const Job*>(arg);
    const RunContext& c = *j.ctx;
    const Data& d = *j.d;
    const float* x = c.in<float>(0);
    const float* scale = c.in<float>(1);
    const float* bias = c.num_inputs > 2 ? c.in<float>(2) : nullptr;
    float* y = c.out<float>(0);
    float* mean_out = c.num_outputs > 1 ? c.out<float>(1) : nullptr;
    float* inv_out = c.num_outputs > 2 ? c.out<float>(2) : nullptr;
    for (int64_t r = begin; r < end; ++r) {
        float mean, inv;
        ref::norm_stats_f32(x + r * d.inner, d.inner, d.eps, d.rms, &mean, &inv);
        ref::norm_apply_f32(x + r * d.inner, y + r * d.inner, d.inner, mean, inv, scale, bias);
        if (mean_out) mean_out[r] = mean;
        if (inv_out) inv_out[r] = inv;
    }
#else
    (void)arg, (void)begin, (void)end;
#endif
}

inline sdk_status run(const RunContext& ctx) {
    Job j{&ctx, static_cast<const Data*>(ctx.op_data)};
    int64_t grain = j.d->inner > 0 ? 16384 / j.d->inner : 1;
    parallel_for(ctx.pool, j.d->outer, grain < 1 ? 1 : grain, rows, &j);
    return SDK_OK;
}

}  // namespace norm_op
}  // namespace sdk
