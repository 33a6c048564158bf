// Slice: the box [starts, ends) of the input, step 1, any dtype (a strided copy).
// The converter normalizes ONNX's starts/ends/axes/steps inputs into two attributes with
// one entry per input dimension and 0 <= start < end <= dim. Also what the converter
// emits to run a large Conv + MaxPool in horizontal bands (sdkbuild/convert/banding.py).
// sdk-kernels: transpose
#include "core/op.h"
#include "kernels/ref/misc.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

struct SliceData {
    ref::TransposeParams p;  // output dims and input strides: transpose_copy does the walk
    int64_t offset_bytes;    // where the box starts in the input
};

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const Tensor& y = *ctx.output(0);
    const int r = x.shape.rank;
    if ((st = opu::check_dtype_supported(ctx, x)) != SDK_OK) return st;
    if ((st = opu::check_same_encoding(ctx, x, y, "Slice")) != SDK_OK) return st;
    int32_t starts[kMaxRank], ends[kMaxRank];
    if (!ctx.attr("starts") || !ctx.attr("ends"))
        return ctx.fail(SDK_ERR_BAD_MODEL, "attributes 'starts' and 'ends' are required");
    if ((st = opu::ints_exact(ctx, "starts", starts, r, starts)) != SDK_OK) return st;
    if ((st = opu::ints_exact(ctx, "ends", ends, r, ends)) != SDK_OK) return st;
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
    for (int i = 0; i < r; ++i) {
        if (starts[i] < 0 || starts[i] >= ends[i] || ends[i] > x.shape.dims[i])
            return ctx.fail(SDK_ERR_BAD_MODEL, "axis %d: [%d, %d) is not a non-empty range inside [0, %d)", i,
                            starts[i], ends[i], x.shape.dims[i]);
        out.dims[i] = ends[i] - starts[i];
        d->offset_bytes += starts[i] * strides[i] * es;
    }
    // Walk dims of size > 1 only, merging a dim into the next when the box is contiguous
    // across them (e.g. whole rows of a row band): fewer, longer memcpy runs.
    ref::TransposeParams& p = d->p;
    for (int i = 0; i < r; ++i) {
        if (out.dims[i] == 1) continue;
        if (p.rank > 0 && p.in_strides[p.rank - 1] == out.dims[i] * strides[i] && out.dims[i] == x.shape.dims[i]) {
            p.dims[p.rank - 1] *= out.dims[i];  // the previous dim steps over exactly this one
            p.in_strides[p.rank - 1] = strides[i];
            continue;
        }
        p.dims[p.rank] = out.dims[i];
        p.in_strides[p.rank] = strides[i];
        ++p.rank;
    }
    if (p.rank == 0) {
        p.rank = 1;
        p.dims[0] = 1;
        p.in_strides[0] = 1;
    }
    p.elem_size = (int32_t)es;
    return ctx.check_output_shape(0, out);
}

sdk_status run(const RunContext& ctx) {
    const SliceData& d = *static_cast<const SliceData*>(ctx.op_data);
    ref::transpose_copy(d.p, static_cast<const char*>(ctx.in_data[0]) + d.offset_bytes, ctx.out_data[0]);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_slice = {"Slice", sdk::prepare, sdk::run, sdk::kOpNone};
