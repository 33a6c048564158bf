// Pad with `pads` (ONNX order: begins then ends, >= 0), `mode` constant/reflect/edge and
// `value` (constant mode).
#include <string.h>

#include "core/op.h"
#include "kernels/ref/misc.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor* x = ctx.input(0);
    const int r = x->shape.rank;
    if (r < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "input '%s' is a scalar; Pad needs rank >= 1", x->name);
    if (!ctx.attr("pads")) return ctx.fail(SDK_ERR_BAD_MODEL, "attribute 'pads' is required");
    int32_t pads[2 * kMaxRank];
    if ((st = opu::ints_exact(ctx, "pads", pads, 2 * r, pads)) != SDK_OK) return st;
    ref::PadParams p = {};
    const char* mode = ctx.attr_string("mode", "constant");
    if (strcmp(mode, "constant") == 0) p.mode = ref::kPadConstant;
    else if (strcmp(mode, "reflect") == 0) p.mode = ref::kPadReflect;
    else if (strcmp(mode, "edge") == 0) p.mode = ref::kPadEdge;
    else return ctx.fail(SDK_ERR_UNSUPPORTED, "mode '%s' is not supported (constant, reflect, edge)", mode);
    if ((st = opu::float_attr(ctx, "value", 0.0f, &p.value)) != SDK_OK) return st;
    p.rank = r;
    Shape out;
    out.rank = r;
    for (int i = 0; i < r; ++i) {
        const int32_t b = pads[i], e = pads[r + i], d = x->shape.dims[i];
        if (b < 0 || e < 0)
            return ctx.fail(SDK_ERR_UNSUPPORTED, "negative pads (cropping) are not supported (dim %d: %d, %d)", i, b, e);
        if (p.mode == ref::kPadReflect && (b >= d || e >= d) && d > 1)
            return ctx.fail(SDK_ERR_BAD_MODEL, "reflect pads (%d, %d) on dim %d must be smaller than its size %d", b, e,
                            i, d);
        if (p.mode == ref::kPadReflect && d == 1 && (b || e))
            return ctx.fail(SDK_ERR_BAD_MODEL, "reflect padding of dim %d of size 1 is undefined", i);
        if ((int64_t)d + b + e > 0x7fffffff) return ctx.fail(SDK_ERR_BAD_MODEL, "padded dim %d is too large", i);
        p.in_dims[i] = d;
        p.begin[i] = b;
        p.out_dims[i] = out.dims[i] = d + b + e;
    }
    if ((st = ctx.check_output_shape(0, out)) != SDK_OK) return st;
    return opu::keep_f32_data(ctx, p);
}

sdk_status run(const RunContext& ctx) {
#if SDK_FEATURE_FP32
    ref::pad_f32(*static_cast<const ref::PadParams*>(ctx.op_data), ctx.in<float>(0), ctx.out<float>(0));
    return SDK_OK;
#else
    (void)ctx;
    return SDK_ERR_UNSUPPORTED;
#endif
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_pad = {"Pad", sdk::prepare, sdk::run, sdk::kOpNone};
