// The shared skeleton of the Reduce* ops: X; `axes` (normalized to [0, rank), sorted,
// distinct; absent = every axis; empty = none, the element map alone: the converter
// resolves ONNX's axes input, empty axes and noop_with_empty_axes), `keepdims` [1]. f32,
// and i32/i64 (kInts) or bool (kBool) where the op allows them. Kernels:
// kernels/ref/reduce.h, instantiated by each op file for its dtypes.
#pragma once

#include "core/op.h"
#include "kernels/ref/reduce.h"
#include "ops/op_util.h"

namespace sdk {
namespace reduce_op {

enum DTypes : int { kF32 = 1, kInts = 2, kBool = 4 };

struct Data {
    int32_t npasses;
    ref::reduce::Pass passes[ref::reduce::kMaxPasses];
    int64_t n_out, count;
    DType dtype;
};

inline sdk_status prepare(PrepareContext& ctx, int dtypes) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const Tensor& y = *ctx.output(0);
    const int r = x.shape.rank;
    const bool ok = x.dtype == DType::F32 || ((dtypes & kInts) && (x.dtype == DType::I32 || x.dtype == DType::I64)) ||
                    ((dtypes & kBool) && x.dtype == DType::BOOL);
    if (!ok)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "input '%s' is %s; this op takes f32%s%s", x.name, dtype_name(x.dtype),
                        (dtypes & kInts) ? ", i32, i64" : "", (dtypes & kBool) ? ", bool" : "");
    if (y.dtype != x.dtype)
        return ctx.fail(SDK_ERR_BAD_MODEL, "output dtype %s differs from input dtype %s", dtype_name(y.dtype),
                        dtype_name(x.dtype));
    if ((st = opu::check_dtype_supported(ctx, x)) != SDK_OK) return st;
    bool red[kMaxRank] = {false, false, false, false, false, false};
    int32_t axes[kMaxRank];
    const int na = ctx.attr_ints("axes", axes, kMaxRank);
    if (na > r) return ctx.fail(SDK_ERR_BAD_MODEL, "%d axes for a rank-%d input", na, r);
    for (int i = 0; i < (na < 0 ? r : na); ++i) {
        const int a = na < 0 ? i : axes[i];
        if (a < 0 || a >= r || red[a])
            return ctx.fail(SDK_ERR_BAD_MODEL, "axes must be distinct and in [0, %d) (normalized by the converter)", r);
        red[a] = true;
    }
    int32_t keep = 1;
    if ((st = opu::int_attr(ctx, "keepdims", 1, &keep)) != SDK_OK) return st;
    Shape out;
    out.rank = 0;
    for (int i = 0; i < r; ++i)
        if (!red[i] || keep) out.dims[out.rank++] = red[i] ? 1 : x.shape.dims[i];
    if ((st = ctx.check_output_shape(0, out)) != SDK_OK) return st;
    Data* d = opu::alloc_op_data<Data>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    d->dtype = x.dtype;
    d->n_out = out.count();
    d->count = x.shape.count() / d->n_out;
    // merged runs of reduced / kept dims (size-1 dims dropped)
    int64_t dims[kMaxRank];
    bool flag[kMaxRank];
    int m = 0;
    for (int i = 0; i < r; ++i) {
        if (x.shape.dims[i] == 1) continue;
        if (m > 0 && flag[m - 1] == red[i]) {
            dims[m - 1] *= x.shape.dims[i];
            continue;
        }
        dims[m] = x.shape.dims[i];
        flag[m++] = red[i];
    }
    for (int k = m - 1; k >= 0; --k) {
        if (!flag[k]) continue;
        ref::reduce::Pass& p = d->passes[d->npasses++];
        p.outer = p.inner = 1;
        for (int i = 0; i < k; ++i) p.outer *= dims[i];
        for (int i = k + 1; i < m; ++i) p.inner *= dims[i];
        p.n = dims[k];
        dims[k] = 1;
    }
    // the outputs of every pass but the last
    int64_t scratch = 0;
    for (int k = 0; k + 1 < d->npasses; ++k) scratch += d->passes[k].outer * d->passes[k].inner;
    if (scratch) ctx.request_scratch((size_t)scratch * dtype_size(x.dtype));
    return SDK_OK;
}

template <template <typename> class Op, int kDTypes>
sdk_status run(const RunContext& ctx) {
    const Data& d = *static_cast<const Data*>(ctx.op_data);
    switch (d.dtype) {
#if SDK_FEATURE_FP32
        case DType::F32:
            ref::reduce::run<float, Op<float>>(d.passes, d.npasses, d.n_out, d.count, ctx.in<float>(0),
                                               ctx.out<float>(0), static_cast<float*>(ctx.scratch), ctx.pool);
            return SDK_OK;
#endif
        case DType::I32:
            if (!(kDTypes & kInts)) break;
            ref::reduce::run<int32_t, Op<int32_t>>(d.passes, d.npasses, d.n_out, d.count, ctx.in<int32_t>(0),
                                                   ctx.out<int32_t>(0), static_cast<int32_t*>(ctx.scratch), ctx.pool);
            return SDK_OK;
        case DType::BOOL:
            if (!(kDTypes & kBool)) break;
            ref::reduce::run<uint8_t, Op<uint8_t>>(d.passes, d.npasses, d.n_out, d.count, ctx.in<uint8_t>(0),
                                                   ctx.out<uint8_t>(0), static_cast<uint8_t*>(ctx.scratch), ctx.pool);
            return SDK_OK;
        case DType::I64:
            if (!(kDTypes & kInts)) break;
            ref::reduce::run<int64_t, Op<int64_t>>(d.passes, d.npasses, d.n_out, d.count, ctx.in<int64_t>(0),
                                                   ctx.out<int64_t>(0), static_cast<int64_t*>(ctx.scratch), ctx.pool);
            return SDK_OK;
        default: break;
    }
    return SDK_ERR_INTERNAL;
}

}  // namespace reduce_op
}  // namespace sdk
