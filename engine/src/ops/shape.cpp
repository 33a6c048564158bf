// Shape: the dims [start, end) of the input's (static) shape as i64 or i32 (`start` [0],
// `end` [rank], normalized and clamped as in ONNX). The converter folds Shape wherever it
// can; this op serves a shape that is itself a graph output. The input is not read.
#include "ops/op_util.h"

namespace sdk {
namespace {

struct ShapeData {
    int32_t n;
    int32_t dims[kMaxRank];
    bool i64;
};

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Shape& s = ctx.input(0)->shape;
    const Tensor& y = *ctx.output(0);
    int32_t start = 0, end = s.rank;
    if ((st = opu::int_attr(ctx, "start", 0, &start)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "end", s.rank, &end)) != SDK_OK) return st;
    start = start < 0 ? start + s.rank : start;
    end = end < 0 ? end + s.rank : end;
    start = start < 0 ? 0 : (start > s.rank ? s.rank : start);
    end = end < start ? start : (end > s.rank ? s.rank : end);
    if (end == start) return ctx.fail(SDK_ERR_UNSUPPORTED, "the selected dims are empty (the engine has no empty tensors)");
    Shape out;
    out.rank = 1;
    out.dims[0] = end - start;
    if ((st = ctx.check_output_shape(0, out)) != SDK_OK) return st;
    if (y.dtype != DType::I64 && y.dtype != DType::I32)
        return ctx.fail(SDK_ERR_BAD_MODEL, "output is %s; expected i64 or i32", dtype_name(y.dtype));
    ShapeData* d = opu::alloc_op_data<ShapeData>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    d->n = end - start;
    d->i64 = y.dtype == DType::I64;
    for (int i = 0; i < d->n; ++i) d->dims[i] = s.dims[start + i];
    return SDK_OK;
}

sdk_status run(const RunContext& ctx) {
    const ShapeData& d = *static_cast<const ShapeData*>(ctx.op_data);
    for (int i = 0; i < d.n; ++i) {
        if (d.i64)
            ctx.out<int64_t>(0)[i] = d.dims[i];
        else
            ctx.out<int32_t>(0)[i] = d.dims[i];
    }
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_shape = {"Shape", sdk::prepare, sdk::run, sdk::kOpNone};
