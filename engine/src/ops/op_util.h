// Helpers shared by the op files: input/attribute validation with clear messages.
// Header-only, so deleting any op file leaves the others building.
#pragma once

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/op.h"
#include "core/op_util.h"
#include "kernels/ref/act_f32.h"

namespace sdk {
namespace opu {

// Input count in [lo, hi], the first `required` inputs present, exactly `outputs` outputs.
inline sdk_status check_arity(PrepareContext& ctx, int lo, int hi, int required, int outputs) {
    int n = ctx.num_inputs();
    if (n < lo || n > hi) {
        if (lo == hi) return ctx.fail(SDK_ERR_BAD_MODEL, "expects %d input(s), got %d", lo, n);
        return ctx.fail(SDK_ERR_BAD_MODEL, "expects %d to %d inputs, got %d", lo, hi, n);
    }
    for (int i = 0; i < required; ++i)
        if (!ctx.input(i)) return ctx.fail(SDK_ERR_BAD_MODEL, "input %d is required but absent", i);
    if (ctx.num_outputs() != outputs)
        return ctx.fail(SDK_ERR_BAD_MODEL, "expects %d output(s), got %d", outputs, ctx.num_outputs());
    for (int i = 0; i < outputs; ++i)
        if (!ctx.output(i)) return ctx.fail(SDK_ERR_BAD_MODEL, "output %d is absent", i);
    return SDK_OK;
}

// Every present input and every output is f32. Returns UNSUPPORTED when this build has
// no f32 kernels, so a model needing them is refused at load with a clear reason.
inline sdk_status require_f32(PrepareContext& ctx) {
    for (int i = 0; i < ctx.num_inputs(); ++i) {
        const Tensor* t = ctx.input(i);
        if (t && t->dtype != DType::F32)
            return ctx.fail(SDK_ERR_UNSUPPORTED, "input %d ('%s') is %s; this op supports f32 only in this build", i,
                            t->name, dtype_name(t->dtype));
    }
    for (int i = 0; i < ctx.num_outputs(); ++i) {
        const Tensor* t = ctx.output(i);
        if (t && t->dtype != DType::F32)
            return ctx.fail(SDK_ERR_UNSUPPORTED, "output %d ('%s') is %s; this op supports f32 only in this build", i,
                            t->name, dtype_name(t->dtype));
    }
#if !SDK_FEATURE_FP32
    return ctx.fail(SDK_ERR_UNSUPPORTED, "this engine was built without f32 kernels (feature fp32 disabled)");
#else
    return SDK_OK;
#endif
}

inline sdk_status require_rank(PrepareContext& ctx, const Tensor* t, const char* what, int rank) {
    if (t->shape.rank != rank)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "%s '%s' has rank %d; expected rank %d", what, t->name, t->shape.rank,
                        rank);
    return SDK_OK;
}

// Fails with UNSUPPORTED when the build lacks the kernels for `t`'s dtype.
inline sdk_status check_dtype_supported(PrepareContext& ctx, const Tensor& t) {
    if (t.dtype == DType::F32 && !SDK_FEATURE_FP32)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "f32 tensor '%.64s' but this engine build has no fp32 kernels", t.name);
    if (t.dtype == DType::I8 && !SDK_FEATURE_INT8)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "int8 tensor '%.64s' but this engine build has no int8 kernels", t.name);
    return SDK_OK;
}

// Per-tensor quantization (scale, zero point), or false when `t` has none / per-channel.
inline bool per_tensor_quant(const Tensor& t, float* scale, int32_t* zero_point) {
    if (!t.quant || t.quant->axis != -1 || t.quant->count != 1) return false;
    *scale = t.quant->scales[0];
    *zero_point = t.quant->zero_points[0];
    return true;
}

// For ops that move bytes without converting them (Reshape, Slice): the output has the
// input's dtype and quantization.
inline sdk_status check_same_encoding(PrepareContext& ctx, const Tensor& x, const Tensor& y, const char* op) {
    if (y.dtype != x.dtype)
        return ctx.fail(SDK_ERR_BAD_MODEL, "output dtype %s differs from input dtype %s", dtype_name(y.dtype),
                        dtype_name(x.dtype));
    float sx = 0, sy = 0;
    int32_t zx = 0, zy = 0;
    bool qx = per_tensor_quant(x, &sx, &zx), qy = per_tensor_quant(y, &sy, &zy);
    if (qx != qy || sx != sy || zx != zy)
        return ctx.fail(SDK_ERR_BAD_MODEL, "output quantization differs from the input's (%s cannot requantize)", op);
    return SDK_OK;
}

// An ints attribute with exactly n values, or `defaults` when absent.
inline sdk_status ints_exact(PrepareContext& ctx, const char* name, int32_t* out, int n, const int32_t* defaults) {
    const Attr* a = ctx.attr(name);
    if (!a) {
        for (int i = 0; i < n; ++i) out[i] = defaults[i];
        return SDK_OK;
    }
    if (a->type != kAttrInts) return ctx.fail(SDK_ERR_BAD_MODEL, "attribute '%s' must be ints", name);
    if ((int)a->count != n)
        return ctx.fail(SDK_ERR_BAD_MODEL, "attribute '%s' has %u values; expected %d", name, a->count, n);
    ctx.attr_ints(name, out, n);
    return SDK_OK;
}

// A single-int attribute (type-checked).
inline sdk_status int_attr(PrepareContext& ctx, const char* name, int32_t fallback, int32_t* out) {
    const Attr* a = ctx.attr(name);
    if (!a) {
        *out = fallback;
        return SDK_OK;
    }
    if (a->type != kAttrInts || a->count != 1)
        return ctx.fail(SDK_ERR_BAD_MODEL, "attribute '%s' must be a single int", name);
    *out = ctx.attr_int(name, fallback);
    return SDK_OK;
}

// A single-float attribute (type-checked).
inline sdk_status float_attr(PrepareContext& ctx, const char* name, float fallback, float* out) {
    const Attr* a = ctx.attr(name);
    if (!a) {
        *out = fallback;
        return SDK_OK;
    }
    if (a->type != kAttrFloats || a->count != 1)
        return ctx.fail(SDK_ERR_BAD_MODEL, "attribute '%s' must be a single float", name);
    *out = ctx.attr_float(name, fallback);
    return SDK_OK;
}

// Normalizes axis into [0, rank).
inline sdk_status norm_axis(PrepareContext& ctx, const char* name, int32_t axis, int rank, int32_t* out) {
    if (axis < -rank || axis >= rank)
        return ctx.fail(SDK_ERR_BAD_MODEL, "attribute '%s' = %d is out of range for rank %d (allowed %d..%d)", name,
                        axis, rank, -rank, rank - 1);
    *out = axis < 0 ? axis + rank : axis;
    return SDK_OK;
}

// The fused `activation` (+ `activation_params` for Clip) attribute.
inline sdk_status parse_activation(PrepareContext& ctx, ref::ActParams* act) {
    act->kind = kActNone;
    act->lo = -INFINITY;
    act->hi = INFINITY;
    int32_t kind = 0;
    sdk_status st = int_attr(ctx, "activation", kActNone, &kind);
    if (st != SDK_OK) return st;
    if (kind < kActNone || kind > kActSilu)
        return ctx.fail(SDK_ERR_UNSUPPORTED,
                        "unknown fused activation %d (known: 0 none, 1 Relu, 2 Clip, 3 HardSwish, 4 Sigmoid, 5 SiLU)",
                        kind);
    act->kind = kind;
    const Attr* p = ctx.attr("activation_params");
    if (kind == kActClip) {
        if (!p || p->type != kAttrFloats || p->count != 2)
            return ctx.fail(SDK_ERR_BAD_MODEL, "fused Clip activation needs 'activation_params' = [min, max] (2 floats)");
        float mm[2];
        ctx.attr_floats("activation_params", mm, 2);
        if (isnan(mm[0]) || isnan(mm[1]) || mm[0] > mm[1])
            return ctx.fail(SDK_ERR_BAD_MODEL, "fused Clip activation has min %g > max %g (or NaN)", (double)mm[0],
                            (double)mm[1]);
        act->lo = mm[0];
        act->hi = mm[1];
    }
    return SDK_OK;
}

// Allocates a zeroed, model-lifetime T and attaches it as the op data.
template <typename T>
inline T* alloc_op_data(PrepareContext& ctx) {
    T* p = static_cast<T*>(ctx.alloc(sizeof(T)));
    if (p) ctx.set_op_data(p);
    return p;
}

// The usual end of an fp32-only prepare: refuse other dtypes (and builds without fp32
// kernels), then keep the op's parameters as its model-lifetime op data.
template <typename T>
inline sdk_status keep_f32_data(PrepareContext& ctx, const T& value) {
    sdk_status st = require_f32(ctx);
    if (st != SDK_OK) return st;
    T* d = alloc_op_data<T>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    *d = value;
    return SDK_OK;
}

}  // namespace opu
}  // namespace sdk
