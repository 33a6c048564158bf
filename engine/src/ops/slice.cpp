// Slice: every `steps[i]`-th element of the input from `starts[i]` up to (not including)
// `ends[i]`, any dtype (a strided copy; int8 keeps its quantization). The converter
// normalizes ONNX's starts/ends/axes/steps into attributes with one entry per input
// dimension: for a positive step 0 <= start < end <= dim, for a negative one
// -1 <= end < start < dim (end -1: up to and including element 0); `steps` absent = all 1.
// Also what the converter emits for Split (one Slice per output) and to run a large Conv +
// MaxPool in horizontal bands (sdkbuild/convert/banding.py).
// sdk-kernels: transpose
#include "core/op.h"
#include "kernels/ref/move.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

struct SliceData {
    ref::TransposeParams p;  // output dims and input strides: transpose_copy does the walk
    int64_t offset_bytes;    // where the first element is in the input
};

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const Tensor& y = *ctx.output(0);
    const int r = x.shape.rank;
    if ((st = opu::check_dtype_supported(ctx, x)) != SDK_OK) return st;
    if ((st = opu::check_same_encoding(ctx, x, y, "Slice")) != SDK_OK) return st;
    int32_t starts[kMaxRank], ends[kMaxRank], steps[kMaxRank];
    const int32_t ones[kMaxRank] = {1, 1, 1, 1, 1, 1};
    if (!ctx.attr("starts") || !ctx.attr("ends"))
        return ctx.fail(SDK_ERR_BAD_MODEL, "attributes 'starts' and 'ends' are required");
    if ((st = opu::ints_exact(ctx, "starts", starts, r, starts)) != SDK_OK) return st;
    if ((st = opu::ints_exact(ctx, "ends", ends, r, ends)) != SDK_OK) return st;
    if ((st = opu::ints_exact(ctx, "steps", steps, r, ones)) != SDK_OK) return st;
    Shape out;
    out.rank = r;
    SliceData* d = opu::alloc_op_data<SliceData>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    const int64_t es = (int64_t)dtype_size(x.dtype);
    int64_t stride = 1;
    int64_t strides[kMaxRank];
    for (int i = r - 1; i >= 0; --i) {
        strides[i] = stride;
        stride *= x.shape.dims[i];
    }
    ref::TransposeParams& p = d->p;
    p.rank = r;
    for (int i = 0; i < r; ++i) {
        const int64_t b = starts[i], e = ends[i], s = steps[i], n = x.shape.dims[i];
        const bool ok = s > 0 ? (0 <= b && b < e && e <= n) : (s < 0 && -1 <= e && e < b && b < n);
        if (!ok)
            return ctx.fail(SDK_ERR_BAD_MODEL,
                            "axis %d: start %d, end %d, step %d is not a non-empty normalized range of a dim of %d "
                            "(step > 0: 0 <= start < end <= dim; step < 0: -1 <= end < start < dim)",
                            i, starts[i], ends[i], steps[i], x.shape.dims[i]);
        out.dims[i] = (int32_t)(s > 0 ? (e - b + s - 1) / s : (b - e + (-s) - 1) / (-s));
        d->offset_bytes += b * strides[i] * es;
        p.dims[i] = out.dims[i];
        p.in_strides[i] = strides[i] * s;
    }
    ref::strided_simplify(p);
    p.elem_size = (int32_t)es;
    return ctx.check_output_shape(0, out);
}

sdk_status run(const RunContext& ctx) {
    const SliceData& d = *static_cast<const SliceData*>(ctx.op_data);
    ref::transpose_copy(d.p, static_cast<const char*>(ctx.in_data[0]) + d.offset_bytes, ctx.out_data[0], ctx.pool);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_slice = {"Slice", sdk::prepare, sdk::run, sdk::kOpNone};
