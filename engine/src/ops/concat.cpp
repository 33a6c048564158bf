// Concat of any number of inputs along `axis` (required); all other dims must match. Any
// dtype, all inputs the output's; int8 with quantization requantizes the inputs whose
// quantization differs from the output's (kernels/ref/concat_s8.cpp), others copy bytes.
#include "core/op.h"
#include "kernels/ref/move.h"
#include "ops/op_util.h"
#if SDK_FEATURE_INT8
#include "kernels/ops_s8.h"  // int8 path (perf engineer)
#endif

namespace sdk {
namespace {

struct ConcatData {
    int64_t outer;
    int32_t n;
    int64_t* chunk_bytes;  // n entries
#if SDK_FEATURE_X86
    int64_t plane_bytes;  // one position along the axis (inner dims x element size)
#endif
};

sdk_status prepare(PrepareContext& ctx) {
    const int n = ctx.num_inputs();
    if (n < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "needs at least one input");
    sdk_status st = opu::check_arity(ctx, n, n, n, 1);
    if (st != SDK_OK) return st;
    const Tensor* x0 = ctx.input(0);
    const int rank = x0->shape.rank;
    if (!ctx.attr("axis")) return ctx.fail(SDK_ERR_BAD_MODEL, "attribute 'axis' is required");
    int32_t axis = 0;
    if ((st = opu::int_attr(ctx, "axis", 0, &axis)) != SDK_OK) return st;
    if (rank < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "input '%s' is a scalar; Concat needs rank >= 1", x0->name);
    if ((st = opu::norm_axis(ctx, "axis", axis, rank, &axis)) != SDK_OK) return st;
    Shape out = x0->shape;
    out.dims[axis] = 0;
    for (int i = 0; i < n; ++i) {
        const Tensor* t = ctx.input(i);
        bool ok = t->shape.rank == rank;
        for (int k = 0; ok && k < rank; ++k) ok = k == axis || t->shape.dims[k] == x0->shape.dims[k];
        if (!ok) {
            char a[96], b[96];
            shape_str(t->shape, a, sizeof a);
            shape_str(x0->shape, b, sizeof b);
            return ctx.fail(SDK_ERR_BAD_MODEL, "input %d '%s' has shape %s, incompatible with %s outside axis %d", i,
                            t->name, a, b, axis);
        }
        out.dims[axis] += t->shape.dims[axis];
    }
    if ((st = ctx.check_output_shape(0, out)) != SDK_OK) return st;
#if SDK_FEATURE_INT8  // ---- int8 path: kernels/ref/concat_s8.cpp
    if (ctx.input(0)->dtype == DType::I8 && ctx.output(0)->quant) return concat_s8_prepare(ctx);
#endif
    const Tensor& y = *ctx.output(0);
    if ((st = opu::check_dtype_supported(ctx, y)) != SDK_OK) return st;
    for (int i = 0; i < n; ++i)
        if ((st = opu::check_same_encoding(ctx, *ctx.input(i), y, "this Concat")) != SDK_OK) return st;
    ConcatData* d = opu::alloc_op_data<ConcatData>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    d->chunk_bytes = static_cast<int64_t*>(ctx.alloc(sizeof(int64_t) * (size_t)n));
    if (!d->chunk_bytes) return SDK_ERR_OUT_OF_MEMORY;
    d->n = n;
    d->outer = 1;
    int64_t inner = 1;
    for (int k = 0; k < axis; ++k) d->outer *= out.dims[k];
    for (int k = axis + 1; k < rank; ++k) inner *= out.dims[k];
    for (int i = 0; i < n; ++i)
        d->chunk_bytes[i] = ctx.input(i)->shape.dims[axis] * inner * (int64_t)dtype_size(x0->dtype);
#if SDK_FEATURE_X86
    d->plane_bytes = inner * (int64_t)dtype_size(x0->dtype);
#endif
    // one outer step: the output is the inputs end to end, so the planner may lay them there
    // (their producers write the output's slices) and run() has nothing left to copy
    if (d->outer == 1) ctx.inputs_in_output();
    return SDK_OK;
}

sdk_status run(const RunContext& ctx) {
#if SDK_FEATURE_INT8  // ---- int8 path: kernels/ref/concat_s8.cpp
    if (ctx.input(0).dtype == DType::I8 && ctx.output(0).quant) return concat_s8_run(ctx);
#endif
    const ConcatData& d = *static_cast<const ConcatData*>(ctx.op_data);
    if (d.outer == 1) {  // every input laid in the output by the planner: done (the kernels skip the others)
        const char* at = static_cast<const char*>(ctx.out_data[0]);
        int i = 0;
        while (i < d.n && ctx.in_data[i] == at) at += d.chunk_bytes[i++];
        if (i == d.n) return SDK_OK;
    }
#if SDK_FEATURE_X86
    ref::concat_copy_x86(d.n, ctx.in_data, d.chunk_bytes, d.outer, d.plane_bytes, ctx.out_data[0], ctx.pool);
#else
    ref::concat_copy(d.n, ctx.in_data, d.chunk_bytes, d.outer, ctx.out_data[0], ctx.pool);
#endif
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_concat = {"Concat", sdk::prepare, sdk::run, sdk::kOpNone};
