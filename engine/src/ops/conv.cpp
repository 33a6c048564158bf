// Conv: 2-D convolution, NCHW, with groups (incl. depthwise), strides, dilations,
// asymmetric pads [t,l,b,r] and a fused activation.
#include "core/op.h"
#include "kernels/ref/conv.h"
#include "ops/op_util.h"
#include "ops/sparse_op.h"
#if SDK_FEATURE_INT8
#include "kernels/ops_s8.h"  // int8 path (perf engineer)
#endif

namespace sdk {
namespace {

struct ConvData {
    ConvGeom g;
    ref::ConvF32Plan f32;
};

// dtype-independent checks; fills g.
sdk_status conv_geometry(PrepareContext& ctx, ConvGeom& g) {
    sdk_status st = opu::check_arity(ctx, 2, 3, 2, 1);
    if (st != SDK_OK) return st;
    const Tensor* x = ctx.input(0);
    const Tensor* w = ctx.input(1);
    const Tensor* b = ctx.input(2);
    if (x->shape.rank != 4)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "input '%s' has rank %d; only 2-D convolution on NCHW (rank 4) is supported",
                        x->name, x->shape.rank);
    if (w->shape.rank != 4)
        return ctx.fail(SDK_ERR_BAD_MODEL, "weights '%s' have rank %d; expected 4 (OC, C/group, KH, KW)", w->name,
                        w->shape.rank);
    static const int32_t ones[4] = {1, 1, 1, 1};
    static const int32_t zeros[4] = {0, 0, 0, 0};
    int32_t strides[2], dil[2], pads[4];
    if ((st = opu::ints_exact(ctx, "strides", strides, 2, ones)) != SDK_OK) return st;
    if ((st = opu::ints_exact(ctx, "dilations", dil, 2, ones)) != SDK_OK) return st;
    if ((st = opu::ints_exact(ctx, "pads", pads, 4, zeros)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "group", 1, &g.group)) != SDK_OK) return st;
    if ((st = opu::parse_activation(ctx, &g.act)) != SDK_OK) return st;
    for (int i = 0; i < 2; ++i) {
        if (strides[i] < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "strides must be >= 1 (got %d)", strides[i]);
        if (dil[i] < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "dilations must be >= 1 (got %d)", dil[i]);
    }
    for (int i = 0; i < 4; ++i)
        if (pads[i] < 0) return ctx.fail(SDK_ERR_BAD_MODEL, "pads must be >= 0 (got %d)", pads[i]);
    g.N = x->shape.dims[0];
    g.C = x->shape.dims[1];
    g.H = x->shape.dims[2];
    g.W = x->shape.dims[3];
    g.OC = w->shape.dims[0];
    g.KH = w->shape.dims[2];
    g.KW = w->shape.dims[3];
    g.sh = strides[0];
    g.sw = strides[1];
    g.dh = dil[0];
    g.dw = dil[1];
    g.pt = pads[0];
    g.pl = pads[1];
    g.pb = pads[2];
    g.pr = pads[3];
    if (g.group < 1 || g.C % g.group != 0)
        return ctx.fail(SDK_ERR_BAD_MODEL, "group %d does not divide the %d input channels", g.group, g.C);
    if (g.OC % g.group != 0)
        return ctx.fail(SDK_ERR_BAD_MODEL, "group %d does not divide the %d output channels of weights '%s'", g.group,
                        g.OC, w->name);
    if (w->shape.dims[1] != g.C / g.group)
        return ctx.fail(SDK_ERR_BAD_MODEL,
                        "weights '%s' have %d input channels per group; input has %d channels / group %d = %d",
                        w->name, w->shape.dims[1], g.C, g.group, g.C / g.group);
    int32_t ks[2];
    if (ctx.attr("kernel_shape")) {
        if ((st = opu::ints_exact(ctx, "kernel_shape", ks, 2, ones)) != SDK_OK) return st;
        if (ks[0] != g.KH || ks[1] != g.KW)
            return ctx.fail(SDK_ERR_BAD_MODEL, "kernel_shape [%d,%d] does not match weights '%s' [%d,%d]", ks[0], ks[1],
                            w->name, g.KH, g.KW);
    }
    if (b) {
        if (b->shape.rank != 1 || b->shape.dims[0] != g.OC)
            return ctx.fail(SDK_ERR_BAD_MODEL, "bias '%s' must have shape [%d] (one value per output channel)", b->name,
                            g.OC);
    }
    int64_t eh = (int64_t)g.dh * (g.KH - 1) + 1, ew = (int64_t)g.dw * (g.KW - 1) + 1;
    int64_t ph = (int64_t)g.H + g.pt + g.pb, pw = (int64_t)g.W + g.pl + g.pr;
    if (eh > ph || ew > pw)
        return ctx.fail(SDK_ERR_BAD_MODEL, "kernel %dx%d (dilated %lldx%lld) is larger than the padded input %lldx%lld",
                        g.KH, g.KW, (long long)eh, (long long)ew, (long long)ph, (long long)pw);
    if (ph > INT32_MAX || pw > INT32_MAX)  // the kernels index the padded plane in int32
        return ctx.fail(SDK_ERR_BAD_MODEL, "pads [%d,%d,%d,%d] make the padded input larger than 2^31 - 1", g.pt,
                        g.pl, g.pb, g.pr);
    g.OH = (int32_t)((ph - eh) / g.sh + 1);
    g.OW = (int32_t)((pw - ew) / g.sw + 1);
    Shape out;
    out.rank = 4;
    out.dims[0] = g.N;
    out.dims[1] = g.OC;
    out.dims[2] = g.OH;
    out.dims[3] = g.OW;
    return ctx.check_output_shape(0, out);
}

sdk_status prepare(PrepareContext& ctx) {
    ConvGeom g;
    sdk_status st = conv_geometry(ctx, g);
    if (st != SDK_OK) return st;
#if SDK_FEATURE_SPARSE  // ---- sparse weights (ops/sparse_op.h): 1x1 only, Y[OC][HW] = W[OC][C] X[C][HW]
    if (ctx.input(1)->flags & kTensorSparse) {
        if (g.KH != 1 || g.KW != 1 || g.sh != 1 || g.sw != 1 || (g.pt | g.pl | g.pb | g.pr) != 0 || g.group != 1)
            return ctx.fail(SDK_ERR_UNSUPPORTED,
                            "sparse weights '%s' need a 1x1 convolution with stride 1, no pads and one group "
                            "(convert the model again)", ctx.input(1)->name);
        return sparse_op::prepare(ctx, ctx.input(1), g.OC, g.C, g.H * g.W, g.N, 0, false, g.act);
    }
#endif
#if SDK_FEATURE_INT8  // ---- int8 path: kernels/ref/conv_s8.cpp
    if (ctx.input(0)->dtype == DType::I8) return conv_s8_prepare(ctx, g);
#endif
    if ((st = opu::require_f32(ctx)) != SDK_OK) return st;
#if SDK_FEATURE_FP32
    ConvData* d = opu::alloc_op_data<ConvData>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    d->g = g;
    d->f32 = ref::conv_f32_plan(g);
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    // The GEMM's weights packed for the NEON tiles, once (model memory; a file's mapped
    // weights they came from are dropped from the process after load: api.cpp's remap).
    if (const int64_t nf = ctx.input(1)->const_data ? ref::conv_f32_packed_floats(g, d->f32) : 0) {
        float* wp = static_cast<float*>(ctx.alloc((size_t)nf * sizeof(float)));
        if (!wp) return SDK_ERR_OUT_OF_MEMORY;
        ref::conv_f32_pack(g, d->f32, static_cast<const float*>(ctx.input(1)->const_data), wp);
    }
#endif
    ctx.request_thread_scratch(ref::conv_f32_thread_scratch_bytes(d->f32));
    return SDK_OK;
#else
    return SDK_ERR_UNSUPPORTED;
#endif
}

sdk_status run(const RunContext& ctx) {
#if SDK_FEATURE_SPARSE
    if (ctx.input(1).flags & kTensorSparse) return sparse_op::run(ctx, ctx.num_inputs > 2 ? ctx.in<float>(2) : nullptr);
#endif
#if SDK_FEATURE_INT8  // ---- int8 path: kernels/ref/conv_s8.cpp
    if (ctx.input(0).dtype == DType::I8) return conv_s8_run(ctx);
#endif
    const ConvData& d = *static_cast<const ConvData*>(ctx.op_data);
#if SDK_FEATURE_FP32
    ref::conv_f32(d.g, d.f32, ctx.in<float>(0), ctx.in<float>(1), ctx.num_inputs > 2 ? ctx.in<float>(2) : nullptr,
                  ctx.out<float>(0), ctx.thread_scratch_base, ctx.thread_scratch_stride, ctx.pool);
    return SDK_OK;
#else
    (void)d;
    return SDK_ERR_UNSUPPORTED;
#endif
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_conv = {"Conv", sdk::prepare, sdk::run, sdk::kOpNone};
