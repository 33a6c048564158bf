// The shared skeleton of the Reduce* ops: X; `axes` (normalized to [0, rank), sorted,
// distinct; absent = every axis; empty = none, the element map alone: the converter
// resolves ONNX's axes input, empty axes and noop_with_empty_axes), `keepdims` [1]. f32,
// and i64 (kInts) or bool (kBool) where the op allows them (int32 data reaches them
// widened by the converter). Kernels: kernels/ref/reduce.h, instantiated by each op file
// for its dtypes.
#pragma once

#include "core/op.h"
#include "kernels/ref/reduce.h"
#include "ops/op_util.h"

namespace sdk {
namespace reduce_op {

enum DTypes : int { kF32 = 1, kInts = 2, kBool = 4 };
enum Finalize : int32_t { kNone = 0, kMean = 1, kSqrt = 2 };

struct Data {
    int32_t npasses;
    ref::reduce::Pass passes[ref::reduce::kMaxPasses];
    int64_t n_out, count;
    DType dtype;
    int32_t finalize;
};

inline sdk_status prepare(PrepareContext& ctx, int dtypes, int32_t finalize) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const Tensor& y = *ctx.output(0);
    const int r = x.shape.rank;
    const bool ok = x.dtype == DType::F32 || ((dtypes & kInts) && x.dtype == DType::I64) ||
                    ((dtypes & kBool) && x.dtype == DType::BOOL);
    if (!ok)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "input '%s' is %s; this op takes f32%s%s", x.name, dtype_name(x.dtype),
                        (dtypes & kInts) ? ", i64" : "", (dtypes & kBool) ? ", bool" : "");
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
    d->finalize = finalize;
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
    if (d->npasses == 0) d->passes[d->npasses++] = {d->n_out, 1, 1};  // nothing to reduce: the map alone
    // the outputs of every pass but the last
    int64_t scratch = 0;
    for (int k = 0; k + 1 < d->npasses; ++k) scratch += d->passes[k].outer * d->passes[k].inner;
    if (scratch) ctx.request_scratch((size_t)scratch * dtype_size(x.dtype));
    return SDK_OK;
}

// The passes from x into y through the scratch (one function for every op and dtype):
// `first` runs the first pass (with the element map), `rest` the others.
__attribute__((noinline)) inline void run_passes(const Data& d, const RunContext& ctx, ParallelFn first, ParallelFn rest) {
    const size_t es = dtype_size(d.dtype);
    const void* src = ctx.in_data[0];
    char* scratch = static_cast<char*>(ctx.scratch);
    for (int k = 0; k < d.npasses; ++k) {
        const ref::reduce::Pass& p = d.passes[k];
        void* dst = k == d.npasses - 1 ? ctx.out_data[0]
                                       : scratch + (k == 0 ? 0 : (size_t)(d.passes[0].outer * d.passes[0].inner) * es);
        ref::reduce::PassJob j = {src, dst, p};
        const int64_t blocks = p.inner == 1 ? 1 : (p.inner + ref::reduce::kBlock - 1) / ref::reduce::kBlock;
        const int64_t work = p.n * (p.inner < ref::reduce::kBlock ? p.inner : ref::reduce::kBlock);
        const int64_t grain = (1 << 14) / (work > 0 ? work : 1);
        parallel_for(ctx.pool, p.outer * blocks, grain < 1 ? 1 : grain, k == 0 ? first : rest, &j);
        src = dst;
    }
#if SDK_FEATURE_FP32
    if (d.finalize != kNone) {  // Mean and L2 take f32 only
        float* y = ctx.out<float>(0);
        const float c = (float)d.count;
        for (int64_t i = 0; i < d.n_out; ++i) y[i] = d.finalize == kMean ? y[i] / c : sqrtf(y[i]);
    }
#endif
}

template <typename T, template <typename> class Op>
inline void pass_fns(ParallelFn* first, ParallelFn* rest) {
    *rest = ref::reduce::pass_tasks<T, Op<T>, false>;
    *first = *rest;
    if constexpr (Op<T>::kHasMap) *first = ref::reduce::pass_tasks<T, Op<T>, true>;
}

template <template <typename> class Op, int kDTypes>
sdk_status run(const RunContext& ctx) {
    const Data& d = *static_cast<const Data*>(ctx.op_data);
    ParallelFn first = nullptr, rest = nullptr;
    switch (d.dtype) {
#if SDK_FEATURE_FP32
        case DType::F32: pass_fns<float, Op>(&first, &rest); break;
#endif
        case DType::I64:
            if constexpr ((kDTypes & kInts) != 0) pass_fns<int64_t, Op>(&first, &rest);
            break;
        case DType::BOOL:
            if constexpr ((kDTypes & kBool) != 0) pass_fns<uint8_t, Op>(&first, &rest);
            break;
        default: break;
    }
    if (!first) return SDK_ERR_INTERNAL;
    run_passes(d, ctx, first, rest);
    return SDK_OK;
}

}  // namespace reduce_op
}  // namespace sdk
