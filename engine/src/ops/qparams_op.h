// Quantization parameters given as inputs (the ONNX runtime forms of QuantizeLinear,
// DequantizeLinear, MatMulInteger, ConvInteger): a scale (f32) and an optional zero point
// (i8, u8 or i32), each a scalar or one value per index of `axis` ("per-axis"). Read at run
// time from the input buffers, so computed parameters (DynamicQuantizeLinear's) work too.
// Header-only.
#pragma once

#include "core/op.h"
#include "ops/op_util.h"

namespace sdk {
namespace qp {

struct Axis {
    int64_t inner = 1;     // elements per step of the axis
    int64_t channels = 1;  // 1 = per tensor
};

inline bool int_dtype(DType t) { return t == DType::I8 || t == DType::U8 || t == DType::I32; }

// Checks a scale / zero-point input against x's `axis`: a scalar (any rank with one element)
// or a 1-D tensor of x.dims[axis] values. Fills *ax for per-axis parameters.
inline sdk_status check(PrepareContext& ctx, const Tensor& x, const Tensor* p, const char* what, int32_t axis,
                        Axis* ax) {
    if (!p) return SDK_OK;
    int64_t n = p->shape.count();
    if (n == 1) return SDK_OK;
    int32_t a = 0;
    sdk_status st = opu::norm_axis(ctx, "axis", axis, x.shape.rank, &a);
    if (st != SDK_OK) return st;
    if (p->shape.rank != 1 || n != x.shape.dims[a])
        return ctx.fail(SDK_ERR_UNSUPPORTED, "%s '%s' has %lld values; expected 1 or %d (per axis %d; blocked "
                        "quantization is not supported)", what, p->name, (long long)n, x.shape.dims[a], a);
    ax->channels = n;
    ax->inner = 1;
    for (int i = a + 1; i < x.shape.rank; ++i) ax->inner *= x.shape.dims[i];
    return SDK_OK;
}

inline int32_t load_int(const void* p, DType t, int64_t i) {
    switch (t) {
        case DType::I8: return static_cast<const int8_t*>(p)[i];
        case DType::U8: return static_cast<const uint8_t*>(p)[i];
        case DType::I32: return static_cast<const int32_t*>(p)[i];
        default: return 0;
    }
}

inline void store_sat(void* p, DType t, int64_t i, float v) {
    // v is already rounded; NaN saturates to 0 offset like a zero input
    if (v != v) v = 0.0f;
    if (t == DType::U8) static_cast<uint8_t*>(p)[i] = (uint8_t)(v < 0.0f ? 0 : (v > 255.0f ? 255 : (int32_t)v));
    else static_cast<int8_t*>(p)[i] = (int8_t)(v < -128.0f ? -128 : (v > 127.0f ? 127 : (int32_t)v));
}

}  // namespace qp
}  // namespace sdk
