// What ops/maxpool.cpp and ops/averagepool.cpp share: attribute parsing, the output-size
// rule and the op skeleton (int8 to the op's own int8 kernel file, fp32 params kept as op
// data). Header-only, so a build with only one of the two pools compiles only that one.
#pragma once

#include "core/op.h"
#include "kernels/ref/pool.h"
#include "ops/op_util.h"

namespace sdk {
namespace opu {

// ONNX / onnxruntime output size, including the ceil_mode rule that a window may not
// start inside the end padding.
inline int64_t pool_out_size(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe, bool ceil_mode) {
    int64_t eff = (k - 1) * d + 1;
    int64_t span = in + pb + pe - eff;
    int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (ceil_mode && (out - 1) * s >= in + pb) --out;
    return out;
}

// Parses kernel_shape, strides, pads, dilations (when allowed), ceil_mode; checks X is
// rank 4 and the output shape.
inline sdk_status parse_pool2d(PrepareContext& ctx, bool allow_dilations, ref::PoolParams* p) {
    sdk_status st = check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor* x = ctx.input(0);
    if (x->shape.rank != 4)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "input '%s' has rank %d; only 2-D pooling on NCHW (rank 4) is supported",
                        x->name, x->shape.rank);
    static const int32_t ones[2] = {1, 1};
    static const int32_t zeros[4] = {0, 0, 0, 0};
    int32_t ks[2], strides[2], dil[2], pads[4], ceil_mode = 0;
    const Attr* ka = ctx.attr("kernel_shape");
    if (!ka) return ctx.fail(SDK_ERR_BAD_MODEL, "attribute 'kernel_shape' is required");
    if ((st = ints_exact(ctx, "kernel_shape", ks, 2, ones)) != SDK_OK) return st;
    if ((st = ints_exact(ctx, "strides", strides, 2, ones)) != SDK_OK) return st;
    if ((st = ints_exact(ctx, "pads", pads, 4, zeros)) != SDK_OK) return st;
    if ((st = ints_exact(ctx, "dilations", dil, 2, ones)) != SDK_OK) return st;
    if ((st = int_attr(ctx, "ceil_mode", 0, &ceil_mode)) != SDK_OK) return st;
    if (!allow_dilations && (dil[0] != 1 || dil[1] != 1))
        return ctx.fail(SDK_ERR_UNSUPPORTED, "dilations [%d,%d] are not supported by this op", dil[0], dil[1]);
    for (int i = 0; i < 2; ++i) {
        if (ks[i] < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "kernel_shape must be >= 1 (got %d)", ks[i]);
        if (strides[i] < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "strides must be >= 1 (got %d)", strides[i]);
        if (dil[i] < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "dilations must be >= 1 (got %d)", dil[i]);
    }
    if (ceil_mode != 0 && ceil_mode != 1) return ctx.fail(SDK_ERR_BAD_MODEL, "ceil_mode must be 0 or 1");
    for (int i = 0; i < 4; ++i) {
        const int64_t eff = (int64_t)(ks[i % 2] - 1) * dil[i % 2] + 1;  // (int64: a file may ask for 2^31 x 2^31)
        if (pads[i] < 0 || pads[i] >= eff)
            return ctx.fail(SDK_ERR_BAD_MODEL, "pads [%d,%d,%d,%d] must be >= 0 and smaller than the kernel %dx%d",
                            pads[0], pads[1], pads[2], pads[3], ks[0], ks[1]);
    }
    p->N = x->shape.dims[0];
    p->C = x->shape.dims[1];
    p->H = x->shape.dims[2];
    p->W = x->shape.dims[3];
    p->KH = ks[0];
    p->KW = ks[1];
    p->sh = strides[0];
    p->sw = strides[1];
    p->dh = dil[0];
    p->dw = dil[1];
    p->pt = pads[0];
    p->pl = pads[1];
    p->pb = pads[2];
    p->pr = pads[3];
    if ((int64_t)(p->KH - 1) * p->dh + 1 > (int64_t)p->H + p->pt + p->pb ||
        (int64_t)(p->KW - 1) * p->dw + 1 > (int64_t)p->W + p->pl + p->pr)
        return ctx.fail(SDK_ERR_BAD_MODEL, "kernel %dx%d is larger than the padded input", p->KH, p->KW);
    const int64_t oh = pool_out_size(p->H, p->KH, p->sh, p->dh, p->pt, p->pb, ceil_mode);
    const int64_t ow = pool_out_size(p->W, p->KW, p->sw, p->dw, p->pl, p->pr, ceil_mode);
    // the kernels index the padded plane in int32: the last window must end inside it
    if ((oh - 1) * p->sh + (int64_t)(p->KH - 1) * p->dh + 1 > INT32_MAX ||
        (ow - 1) * p->sw + (int64_t)(p->KW - 1) * p->dw + 1 > INT32_MAX)
        return ctx.fail(SDK_ERR_BAD_MODEL, "pads [%d,%d,%d,%d] and strides [%d,%d] reach past 2^31 - 1", p->pt, p->pl,
                        p->pb, p->pr, p->sh, p->sw);
    p->OH = (int32_t)oh;
    p->OW = (int32_t)ow;
    Shape out = x->shape;
    out.dims[2] = p->OH;
    out.dims[3] = p->OW;
    return ctx.check_output_shape(0, out);
}

// The op skeleton. `Pool` names the op's kernels and extra attributes:
//   static constexpr bool kDilations;                        // dilations allowed
//   static sdk_status attrs(PrepareContext&, ref::PoolParams*);  // op-specific attributes (run first)
//   static sdk_status s8_prepare(PrepareContext&);           // with SDK_FEATURE_INT8
//   static sdk_status s8_run(const RunContext&);             // with SDK_FEATURE_INT8
//   static void f32(const ref::PoolParams&, const float*, float*, ThreadPool*);  // with SDK_FEATURE_FP32
template <class Pool>
sdk_status pool_prepare(PrepareContext& ctx) {
    ref::PoolParams p = {};
    sdk_status st = Pool::attrs(ctx, &p);  // first: a MaxPool Indices output gets its own message
    if (st == SDK_OK) st = parse_pool2d(ctx, Pool::kDilations, &p);
    if (st != SDK_OK) return st;
#if SDK_FEATURE_INT8
    if (ctx.input(0)->dtype == DType::I8) return Pool::s8_prepare(ctx);
#endif
    return keep_f32_data(ctx, p);
}

template <class Pool>
sdk_status pool_run(const RunContext& ctx) {
#if SDK_FEATURE_INT8
    if (ctx.input(0).dtype == DType::I8) return Pool::s8_run(ctx);
#endif
#if SDK_FEATURE_FP32
    Pool::f32(*static_cast<const ref::PoolParams*>(ctx.op_data), ctx.in<float>(0), ctx.out<float>(0), ctx.pool);
    return SDK_OK;
#else
    (void)ctx;
    return SDK_ERR_UNSUPPORTED;
#endif
}

}  // namespace opu
}  // namespace sdk
