// ConvTranspose (2-D; the converter maps 1-D onto it): X [N, Cin, H, W], constant W
// [Cin, Cout/group, kh, kw], optional B [Cout]; `strides`, `pads` [t, l, b, r] (resolved by
// the converter from auto_pad / output_shape), `dilations`, `group`, `output_padding`
// [h, w]. Output [N, Cout, OH, OW] with OH = sh*(H-1) + output_padding_h + (kh-1)*dh + 1 -
// pt - pb. Kernels: kernels/ref/convtranspose_f32.cpp (the packed GEMM, then col2im).
#include "core/op.h"
#include "kernels/ref/convtranspose.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 2, 3, 2, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const Tensor& w = *ctx.input(1);
    const Tensor* b = ctx.input(2);
    if ((st = opu::require_rank(ctx, &x, "input", 4)) != SDK_OK) return st;
    if ((st = opu::require_rank(ctx, &w, "weight", 4)) != SDK_OK) return st;
    if (!(w.flags & kTensorConstant) || !w.const_data)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "weight '%s' must be a constant", w.name);
    static const int32_t ones[2] = {1, 1}, zeros[4] = {0, 0, 0, 0};
    int32_t s[2], d[2], pads[4], op[2], group = 1;
    if ((st = opu::ints_exact(ctx, "strides", s, 2, ones)) != SDK_OK) return st;
    if ((st = opu::ints_exact(ctx, "dilations", d, 2, ones)) != SDK_OK) return st;
    if ((st = opu::ints_exact(ctx, "pads", pads, 4, zeros)) != SDK_OK) return st;
    if ((st = opu::ints_exact(ctx, "output_padding", op, 2, zeros)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "group", 1, &group)) != SDK_OK) return st;
    for (int i = 0; i < 2; ++i) {
        if (s[i] < 1 || d[i] < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "strides and dilations must be >= 1");
        if (op[i] < 0) return ctx.fail(SDK_ERR_BAD_MODEL, "output_padding %d must be >= 0", op[i]);
    }
    for (int i = 0; i < 4; ++i)
        if (pads[i] < 0) return ctx.fail(SDK_ERR_BAD_MODEL, "pads must be >= 0 (got %d)", pads[i]);
    const int32_t cin = x.shape.dims[1];
    if (group < 1 || cin % group || w.shape.dims[0] != cin)
        return ctx.fail(SDK_ERR_BAD_MODEL, "weight '%s' [%d, %d, %d, %d] does not fit %d input channels in %d groups",
                        w.name, w.shape.dims[0], w.shape.dims[1], w.shape.dims[2], w.shape.dims[3], cin, group);
    ref::ConvTransposeF32Plan p = {};
    p.n = x.shape.dims[0];
    p.cin = cin;
    p.h = x.shape.dims[2];
    p.w = x.shape.dims[3];
    p.group = group;
    p.cout = w.shape.dims[1] * group;
    p.kh = w.shape.dims[2];
    p.kw = w.shape.dims[3];
    p.sh = s[0];
    p.sw = s[1];
    p.dh = d[0];
    p.dw = d[1];
    p.pt = pads[0];
    p.pl = pads[1];
    int64_t oh = (int64_t)s[0] * (p.h - 1) + op[0] + (int64_t)(p.kh - 1) * d[0] + 1 - pads[0] - pads[2];
    int64_t ow = (int64_t)s[1] * (p.w - 1) + op[1] + (int64_t)(p.kw - 1) * d[1] + 1 - pads[1] - pads[3];
    // the kernel indexes the unpadded output (stride x input + dilated tap) in int32
    const bool fits = (int64_t)s[0] * (p.h - 1) + (int64_t)(p.kh - 1) * d[0] <= 0x7fffffff &&
                      (int64_t)s[1] * (p.w - 1) + (int64_t)(p.kw - 1) * d[1] <= 0x7fffffff;
    if (oh < 1 || ow < 1 || oh > 0x7fffffff || ow > 0x7fffffff || !fits)
        return ctx.fail(SDK_ERR_BAD_MODEL, "output size %lld x %lld is invalid (pads too large?)", (long long)oh,
                        (long long)ow);
    p.oh = (int32_t)oh;
    p.ow = (int32_t)ow;
    if (b && b->shape.count() != p.cout)
        return ctx.fail(SDK_ERR_BAD_MODEL, "bias '%s' has %lld values; expected %d", b->name,
                        (long long)b->shape.count(), p.cout);
    Shape out;
    out.rank = 4;
    out.dims[0] = p.n;
    out.dims[1] = p.cout;
    out.dims[2] = p.oh;
    out.dims[3] = p.ow;
    if ((st = ctx.check_output_shape(0, out)) != SDK_OK) return st;
    if ((st = opu::require_f32(ctx)) != SDK_OK) return st;
#if SDK_FEATURE_FP32
    ref::ConvTransposeF32Plan* data = opu::alloc_op_data<ref::ConvTransposeF32Plan>(ctx);
    if (!data) return SDK_ERR_OUT_OF_MEMORY;
    float* wt = static_cast<float*>(ctx.alloc(ref::convtranspose_f32_wt_bytes(p)));
    if (!wt) return SDK_ERR_OUT_OF_MEMORY;
    ref::convtranspose_f32_pack_w(p, static_cast<const float*>(w.const_data), wt);
    p.wt = wt;
    *data = p;
    ctx.request_scratch(ref::convtranspose_f32_scratch_bytes(p));
    ctx.request_thread_scratch(ref::convtranspose_f32_thread_scratch_bytes(p));
#endif
    return SDK_OK;
}

sdk_status run(const RunContext& ctx) {
#if SDK_FEATURE_FP32
    const ref::ConvTransposeF32Plan& p = *static_cast<const ref::ConvTransposeF32Plan*>(ctx.op_data);
    ref::convtranspose_f32(p, ctx.in<float>(0), ctx.num_inputs > 2 ? ctx.in<float>(2) : nullptr, ctx.out<float>(0),
                           static_cast<float*>(ctx.scratch), ctx);
    return SDK_OK;
#else
    (void)ctx;
    return SDK_ERR_UNSUPPORTED;
#endif
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_convtranspose = {"ConvTranspose", sdk::prepare, sdk::run, sdk::kOpNone};
