// Helpers for op implementations: shape strings for messages, dtype names, numpy-style
// broadcasting, fused activations, common prepare() checks. Header-only, no stdlib.
#pragma once

#include <math.h>
#include <stdio.h>

#include "core/op.h"

namespace sdk {

inline const char* dtype_name(DType t) {
    switch (t) {
        case DType::F32: return "f32";
        case DType::I8: return "i8";
        case DType::I32: return "i32";
        case DType::U8: return "u8";
    }
    return "?";
}

// "[1, 3, 224, 224]" into buf (always NUL-terminated).
inline const char* shape_str(const Shape& s, char* buf, size_t n) {
    size_t len = 0;
    int w = snprintf(buf, n, "[");
    len = w > 0 ? static_cast<size_t>(w) : 0;
    for (int i = 0; i < s.rank && len < n; ++i) {
        w = snprintf(buf + len, n - len, i ? ", %d" : "%d", s.dims[i]);
        if (w < 0) break;
        len += static_cast<size_t>(w);
    }
    if (len < n) snprintf(buf + len, n - len, "]");
    return buf;
}

// Checks the input/output counts (absent optional inputs count) and that inputs
// [0, required_inputs) are present.
inline sdk_status check_io(PrepareContext& ctx, int min_inputs, int max_inputs, int num_outputs) {
    if (ctx.num_inputs() < min_inputs || ctx.num_inputs() > max_inputs)
        return ctx.fail(SDK_ERR_BAD_MODEL, "has %d inputs, expected %d..%d", ctx.num_inputs(), min_inputs, max_inputs);
    if (ctx.num_outputs() != num_outputs)
        return ctx.fail(SDK_ERR_BAD_MODEL, "has %d outputs, expected %d", ctx.num_outputs(), num_outputs);
    for (int i = 0; i < min_inputs; ++i)
        if (!ctx.input(i)) return ctx.fail(SDK_ERR_BAD_MODEL, "required input %d is absent", i);
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

// numpy broadcasting of a and b into out; false when incompatible.
inline bool broadcast_shapes(const Shape& a, const Shape& b, Shape* out) {
    int r = a.rank > b.rank ? a.rank : b.rank;
    out->rank = r;
    for (int i = 0; i < r; ++i) {
        int ia = i - (r - a.rank), ib = i - (r - b.rank);
        int32_t da = ia >= 0 ? a.dims[ia] : 1, db = ib >= 0 ? b.dims[ib] : 1;
        if (da != db && da != 1 && db != 1) return false;
        out->dims[i] = da == 1 ? db : da;
    }
    for (int i = r; i < kMaxRank; ++i) out->dims[i] = 0;
    return true;
}

// Element strides of `in` aligned to `out`'s rank, 0 along broadcast dimensions, so
// element (i0..ik) of out reads in[sum(i_j * strides[j])].
inline void broadcast_strides(const Shape& in, const Shape& out, int64_t strides[kMaxRank]) {
    int64_t s = 1;
    for (int i = out.rank - 1; i >= 0; --i) {
        int ii = i - (out.rank - in.rank);
        int32_t d = ii >= 0 ? in.dims[ii] : 1;
        strides[i] = d == 1 ? 0 : s;
        s *= d;
    }
    for (int i = out.rank; i < kMaxRank; ++i) strides[i] = 0;
}

// A fused activation as the converter writes it (`activation`, `activation_params`).
struct FusedActivation {
    int32_t type;  // an Activation value
    float lo, hi;  // clip bounds (kActClip)
};

inline sdk_status read_activation(PrepareContext& ctx, FusedActivation* act) {
    act->type = ctx.attr_int("activation", kActNone);
    act->lo = -INFINITY;
    act->hi = INFINITY;
    if (act->type < kActNone || act->type > kActSigmoid)
        return ctx.fail(SDK_ERR_BAD_MODEL, "unknown fused activation %d", act->type);
    if (act->type == kActClip) {
        float p[2];
        if (ctx.attr_floats("activation_params", p, 2) != 2)
            return ctx.fail(SDK_ERR_BAD_MODEL, "Clip activation needs activation_params [min, max]");
        act->lo = p[0];
        act->hi = p[1];
    }
    return SDK_OK;
}

inline float apply_activation(const FusedActivation& a, float x) {
    switch (a.type) {
        case kActRelu: return x > 0.0f ? x : 0.0f;
        case kActClip: return x < a.lo ? a.lo : (x > a.hi ? a.hi : x);
        case kActHardSwish: {
            float r = x + 3.0f;
            r = r < 0.0f ? 0.0f : (r > 6.0f ? 6.0f : r);
            return x * r * (1.0f / 6.0f);
        }
        case kActSigmoid: return 1.0f / (1.0f + expf(-x));
        default: return x;
    }
}

inline void apply_activation(const FusedActivation& a, float* x, int64_t n) {
    if (a.type == kActNone) return;
    for (int64_t i = 0; i < n; ++i) x[i] = apply_activation(a, x[i]);
}

}  // namespace sdk
