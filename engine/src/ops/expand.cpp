// Expand: the input broadcast (numpy rules) to `shape` (required; ONNX's shape input,
// resolved by the converter); the output shape is broadcast(input, shape). Any dtype (int8
// keeps its quantization). A strided copy with stride 0 along the broadcast dims.
// sdk-kernels: transpose
#include "core/op.h"
#include "kernels/ref/move.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    if ((st = opu::check_dtype_supported(ctx, x)) != SDK_OK) return st;
    if ((st = opu::check_same_encoding(ctx, x, *ctx.output(0), "Expand")) != SDK_OK) return st;
    int32_t shape[kMaxRank];
    const int n = ctx.attr_ints("shape", shape, kMaxRank);
    if (n < 0) return ctx.fail(SDK_ERR_BAD_MODEL, "the required 'shape' attribute is missing");
    if (n > kMaxRank) return ctx.fail(SDK_ERR_UNSUPPORTED, "shape has %d dims; the maximum rank is %d", n, kMaxRank);
    const int xr = x.shape.rank;
    const int r = n > xr ? n : xr;
    Shape out;
    out.rank = r;
    ref::TransposeParams* p = opu::alloc_op_data<ref::TransposeParams>(ctx);
    if (!p) return SDK_ERR_OUT_OF_MEMORY;
    int64_t stride = 1;
    p->rank = r;
    for (int i = r - 1; i >= 0; --i) {
        const int xi = i - (r - xr), si = i - (r - n);
        const int32_t a = xi >= 0 ? x.shape.dims[xi] : 1, b = si >= 0 ? shape[si] : 1;
        if (b < 1 || (a != b && a != 1 && b != 1))
            return ctx.fail(SDK_ERR_BAD_MODEL, "input dim %d (%d) does not broadcast to shape entry %d", xi, a, b);
        out.dims[i] = a > b ? a : b;
        p->dims[i] = out.dims[i];
        p->in_strides[i] = a == 1 ? 0 : stride;
        stride *= a;
    }
    ref::strided_simplify(*p);
    p->elem_size = (int32_t)dtype_size(x.dtype);
    return ctx.check_output_shape(0, out);
}

sdk_status run(const RunContext& ctx) {
    ref::transpose_copy(*static_cast<const ref::TransposeParams*>(ctx.op_data), ctx.in_data[0], ctx.out_data[0],
                        ctx.pool);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_expand = {"Expand", sdk::prepare, sdk::run, sdk::kOpNone};
