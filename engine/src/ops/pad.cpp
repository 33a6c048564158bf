// Pad, any dtype: `pads` (ONNX order: the begins of every dim, then the ends; a negative
// pad crops), `mode` constant / reflect / edge / wrap and `value` (constant mode; converted
// to the tensor's dtype: quantized for int8 with quantization, truncated for integers).
// Cropping happens first, so edge/reflect/wrap repeat the cropped tensor's elements;
// reflect and wrap may pad by more than the dim (numpy's repeated reflection/wrap).
#include <math.h>
#include <string.h>

#include "core/status.h"  // str_eq

#include "core/op.h"
#include "kernels/ref/move.h"
#include "ops/fill_value.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const int r = x.shape.rank;
    if (r < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "input '%s' is a scalar; Pad needs rank >= 1", x.name);
    if (!ctx.attr("pads")) return ctx.fail(SDK_ERR_BAD_MODEL, "attribute 'pads' is required");
    if ((st = opu::check_dtype_supported(ctx, x)) != SDK_OK) return st;
    if ((st = opu::check_same_encoding(ctx, x, *ctx.output(0), "Pad")) != SDK_OK) return st;
    int32_t pads[2 * kMaxRank];
    if ((st = opu::ints_exact(ctx, "pads", pads, 2 * r, pads)) != SDK_OK) return st;
    ref::PadParams* p = opu::alloc_op_data<ref::PadParams>(ctx);
    if (!p) return SDK_ERR_OUT_OF_MEMORY;
    const char* mode = ctx.attr_string("mode", "constant");
    if (str_eq(mode, "constant")) p->mode = ref::kPadConstant;
    else if (str_eq(mode, "reflect")) p->mode = ref::kPadReflect;
    else if (str_eq(mode, "edge")) p->mode = ref::kPadEdge;
    else if (str_eq(mode, "wrap")) p->mode = ref::kPadWrap;
    else return ctx.fail(SDK_ERR_UNSUPPORTED, "mode '%s' is not supported (constant, reflect, edge, wrap)", mode);
    float value = 0.0f;
    if ((st = opu::float_attr(ctx, "value", 0.0f, &value)) != SDK_OK) return st;
    p->value = opu::value_bytes(x, value);
    p->rank = r;
    p->elem_size = (int32_t)dtype_size(x.dtype);
    Shape out;
    out.rank = r;
    int64_t s = 1;
    for (int i = r - 1; i >= 0; --i) {
        p->in_strides[i] = s;
        s *= x.shape.dims[i];
    }
    for (int i = 0; i < r; ++i) {
        const int64_t b = pads[i], e = pads[r + i], d = x.shape.dims[i];
        const int64_t cb = b < 0 ? -b : 0, ce = e < 0 ? -e : 0;
        if (cb + ce >= d)
            return ctx.fail(SDK_ERR_UNSUPPORTED, "pads (%lld, %lld) crop all of dim %d (size %lld)", (long long)b,
                            (long long)e, i, (long long)d);
        const int64_t o = d + b + e;
        if (o > 0x7fffffff) return ctx.fail(SDK_ERR_BAD_MODEL, "padded dim %d is too large", i);
        p->in_dims[i] = d - cb - ce;
        p->offset += cb * p->in_strides[i];
        p->begin[i] = b > 0 ? b : 0;
        p->out_dims[i] = out.dims[i] = (int32_t)o;
    }
    return ctx.check_output_shape(0, out);
}

sdk_status run(const RunContext& ctx) {
    ref::pad_copy(*static_cast<const ref::PadParams*>(ctx.op_data), ctx.in_data[0], ctx.out_data[0]);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_pad = {"Pad", sdk::prepare, sdk::run, sdk::kOpNone};
