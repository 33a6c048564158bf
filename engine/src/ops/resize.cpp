// Resize (also what the converter makes of Upsample): X; `mode` nearest [default] / linear
// / cubic, `coordinate_transformation_mode` [half_pixel] (half_pixel, half_pixel_symmetric,
// pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn,
// tf_crop_and_resize), `nearest_mode` [round_prefer_floor] (round_prefer_ceil, floor,
// ceil), `cubic_coeff_a` [-0.75], `exclude_outside` [0], `extrapolation_value` [0.0],
// `antialias` [0], `scales` (floats, one per dim: the coordinate transform's scale) or
// `sizes` (ints, one per dim: the output shape; the scale is then output / input, in
// double), `roi` (floats, starts then ends per dim; tf_crop_and_resize only): ONNX's
// attributes, with its scales/sizes/roi inputs resolved by the converter (axes and
// keep_aspect_ratio_policy folded into scales and the output shape). The output shape is
// the output tensor's.
// Dtypes: nearest any (int8 keeps its quantization); linear/cubic f32, or int8 with the
// output quantized like the input, resizing only the last two axes (|cubic_coeff_a| <= 1).
#include <string.h>

#include "core/status.h"  // str_eq

#include "core/op.h"
#include "kernels/ref/resize.h"
#include "ops/fill_value.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

int lookup(const char* v, const char* const* names, int n) {
    for (int i = 0; i < n; ++i)
        if (str_eq(v, names[i])) return i;
    return -1;
}

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const Tensor& y = *ctx.output(0);
    const int r = x.shape.rank;
    if (r < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "input '%s' is a scalar; Resize needs rank >= 1", x.name);
    if (y.shape.rank != r) return ctx.fail(SDK_ERR_BAD_MODEL, "output rank %d differs from input rank %d", y.shape.rank, r);
    if ((st = opu::check_dtype_supported(ctx, x)) != SDK_OK) return st;
    if ((st = opu::check_same_encoding(ctx, x, y, "Resize")) != SDK_OK) return st;

    static const char* const kModes[] = {"nearest", "linear", "cubic"};
    static const char* const kCoords[] = {"half_pixel",  "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
                                          "asymmetric",  "tf_half_pixel_for_nn", "tf_crop_and_resize"};
    static const char* const kNearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    ref::ResizeSpec spec;
    const char* v = ctx.attr_string("mode", "nearest");
    if ((spec.mode = lookup(v, kModes, 3)) < 0)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "mode '%s' is not supported (nearest, linear, cubic)", v);
    v = ctx.attr_string("coordinate_transformation_mode", "half_pixel");
    if ((spec.coord = lookup(v, kCoords, 7)) < 0)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "coordinate_transformation_mode '%s' is not supported", v);
    v = ctx.attr_string("nearest_mode", "round_prefer_floor");
    if ((spec.nearest_mode = lookup(v, kNearest, 4)) < 0)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "nearest_mode '%s' is not supported", v);
    float a = -0.75f, extrap = 0.0f;
    int32_t excl = 0, aa = 0;
    if ((st = opu::float_attr(ctx, "cubic_coeff_a", -0.75f, &a)) != SDK_OK) return st;
    if ((st = opu::float_attr(ctx, "extrapolation_value", 0.0f, &extrap)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "exclude_outside", 0, &excl)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "antialias", 0, &aa)) != SDK_OK) return st;
    spec.cubic_a = a;
    spec.exclude_outside = excl != 0;
    spec.antialias = aa != 0 && spec.mode != ref::kResizeNearest;
    float scales[kMaxRank], roi[2 * kMaxRank];
    const int ns = ctx.attr_floats("scales", scales, kMaxRank);
    if (ns >= 0 && ns != r) return ctx.fail(SDK_ERR_BAD_MODEL, "'scales' has %d values for rank %d", ns, r);
    int32_t sizes[kMaxRank];
    const int nz = ctx.attr_ints("sizes", sizes, kMaxRank);
    if (nz >= 0 && nz != r) return ctx.fail(SDK_ERR_BAD_MODEL, "'sizes' has %d values for rank %d", nz, r);
    for (int k = 0; k < nz; ++k)
        if (sizes[k] != y.shape.dims[k])
            return ctx.fail(SDK_ERR_BAD_MODEL, "'sizes' [%d] = %d differs from the output dim %d", k, sizes[k],
                            y.shape.dims[k]);
    const int nr = ctx.attr_floats("roi", roi, 2 * kMaxRank);
    if (nr >= 0 && nr != 2 * r) return ctx.fail(SDK_ERR_BAD_MODEL, "'roi' has %d values for rank %d", nr, r);

    const bool nearest = spec.mode == ref::kResizeNearest;
    const bool s8 = x.dtype == DType::I8 && x.quant;
    if (!nearest && x.dtype != DType::F32 && !s8)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "%s Resize of %s data (it takes f32, or int8 with quantization)",
                        kModes[spec.mode], dtype_name(x.dtype));
    if (s8 && !nearest && spec.mode == ref::kResizeCubic && (a < -1.0f || a > 1.0f))
        return ctx.fail(SDK_ERR_UNSUPPORTED, "int8 cubic Resize needs |cubic_coeff_a| <= 1 (it is %g)", (double)a);

    ref::ResizePlan* p = opu::alloc_op_data<ref::ResizePlan>(ctx);
    if (!p) return SDK_ERR_OUT_OF_MEMORY;
    p->rank = r;
    p->mode = spec.mode;
    p->elem_size = (int32_t)dtype_size(x.dtype);
    // the value written where tf_crop_and_resize samples outside the input, or where a
    // nearest pick falls outside it with exclude_outside (0, as onnx's reference computes)
    p->extrap = opu::value_bytes(x, spec.coord == ref::kCoordTfCropAndResize ? extrap : 0.0f);
    for (int k = 0; k < r; ++k) {
        ref::ResizeAxisSpec as;
        as.in = x.shape.dims[k];
        as.out = y.shape.dims[k];
        as.scale = ns >= 0 ? (double)scales[k] : (double)as.out / (double)as.in;
        if (!(as.scale > 0))
            return ctx.fail(SDK_ERR_BAD_MODEL, "scale %g of dim %d must be positive", as.scale, k);
        as.roi[0] = nr >= 0 ? roi[k] : 0.0;
        as.roi[1] = nr >= 0 ? roi[r + k] : 1.0;
        const int32_t n = ref::resize_ntaps(spec, as);
        if (n > ref::kResizeMaxTaps)
            return ctx.fail(SDK_ERR_UNSUPPORTED, "antialias downsampling of dim %d by %g needs more than %d taps", k,
                            1.0 / as.scale, ref::kResizeMaxTaps);
        int32_t* idx = static_cast<int32_t*>(ctx.alloc(sizeof(int32_t) * (size_t)as.out * n));
        float* w = nearest ? nullptr : static_cast<float*>(ctx.alloc(sizeof(float) * (size_t)as.out * n));
        int16_t* wq = s8 && !nearest ? static_cast<int16_t*>(ctx.alloc(sizeof(int16_t) * (size_t)as.out * n)) : nullptr;
        const bool flags = spec.coord == ref::kCoordTfCropAndResize || (nearest && spec.exclude_outside);
        uint8_t* outside = flags ? static_cast<uint8_t*>(ctx.alloc(as.out)) : nullptr;
        if (!idx || (!nearest && !w) || (s8 && !nearest && !wq) || (flags && !outside)) return SDK_ERR_OUT_OF_MEMORY;
        ref::ResizeAxis& ax = p->ax[k];
        ax.in = as.in;
        ax.out = as.out;
        ax.ntaps = n;
        ax.identity = ref::resize_axis_table(spec, as, n, idx, w, wq, outside);
        if (ax.identity && !nearest) {  // one tap of weight 1 instead of a window with zeros
            ax.ntaps = 1;
            for (int32_t o = 0; o < as.out; ++o) {
                idx[o] = o;
                w[o] = 1.0f;
                if (wq) wq[o] = 2048;
            }
        }
        ax.idx = idx;
        ax.w = w;
        ax.wq = wq;
        ax.outside = outside;
        if (outside)
            for (int32_t o = 0; o < as.out; ++o) p->any_outside = p->any_outside || outside[o];
        p->in_dims[k] = as.in;
        p->out_dims[k] = as.out;
    }
    if (s8 && !nearest)
        for (int k = 0; k + 2 < r; ++k)
            if (!p->ax[k].identity)
                return ctx.fail(SDK_ERR_UNSUPPORTED,
                                "int8 %s Resize of dim %d: only the last two dims can be resized in int8",
                                kModes[spec.mode], k);
    if (nearest) {
        const ref::ResizeAxis& W = p->ax[r - 1];
        p->dup2_w = !W.identity && W.out == 2 * W.in && (p->elem_size == 1 || p->elem_size == 4);
        for (int32_t j = 0; j < W.out && p->dup2_w; ++j) p->dup2_w = W.idx[j] == j / 2;
        return SDK_OK;
    }
    // the fused pass over the last two dims (rank 1: a virtual unresized H of 1)
    p->w = p->ax[r - 1];
    if (r >= 2) {
        p->h = p->ax[r - 2];
    } else {
        static const int32_t zero_idx[1] = {0};
        static const float one_w[1] = {1.0f};
        static const int16_t one_q[1] = {2048};
        p->h = {1, 1, 1, true, zero_idx, one_w, one_q, nullptr};
    }
    ctx.request_thread_scratch((size_t)p->h.ntaps * (size_t)p->w.out * 4);
    // ping-pong buffers for the passes over the leading dims (all but the last pass)
    int64_t cur[kMaxRank], biggest = 0;
    for (int k = 0; k < r; ++k) cur[k] = p->in_dims[k];
    cur[r - 1] = p->w.out;
    if (r >= 2) cur[r - 2] = p->h.out;
    int passes = 0;
    for (int k = r - 3; k >= 0; --k) passes += !p->ax[k].identity;
    int64_t size = 1;
    for (int k = 0; k < r; ++k) size *= cur[k];
    for (int k = r - 3; k >= 0 && passes > 0; --k) {
        if (p->ax[k].identity) continue;
        biggest = size > biggest ? size : biggest;  // this pass's input is an intermediate
        size = size / cur[k] * p->ax[k].out;
        cur[k] = p->ax[k].out;
        --passes;
    }
    p->scratch_elems = biggest;
    if (biggest) ctx.request_scratch((size_t)(2 * biggest) * sizeof(float));
    return SDK_OK;
}

sdk_status run(const RunContext& ctx) {
    const ref::ResizePlan& p = *static_cast<const ref::ResizePlan*>(ctx.op_data);
    if (p.mode == ref::kResizeNearest) {
        ref::resize_nearest(p, ctx.in_data[0], ctx.out_data[0], ctx.pool);
        return SDK_OK;
    }
#if SDK_FEATURE_INT8
    if (ctx.input(0).dtype == DType::I8) {
        ref::resize_linear_s8(p, ctx.in<int8_t>(0), ctx.out<int8_t>(0), ctx);
        return SDK_OK;
    }
#endif
#if SDK_FEATURE_FP32
    ref::resize_linear_f32(p, ctx.in<float>(0), ctx.out<float>(0), ctx);
    return SDK_OK;
#else
    return SDK_ERR_INTERNAL;
#endif
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_resize = {"Resize", sdk::prepare, sdk::run, sdk::kOpNone};
