// Int8 paths of the ops (TFLite int8 scheme, see kernels/requant_s8.h). Each op file calls
// its pair from a `#if SDK_FEATURE_INT8` branch when its input is int8; the pair lives in
// kernels/ref/<op>_s8.cpp (compiled only when that op and int8 are selected) and owns
// the op data of the int8 path: prepare() checks dtypes and quantization, precomputes
// the fixed-point multipliers and packs weights once; run() picks the kernels.
#pragma once

#include "core/op.h"

namespace sdk {

struct ConvGeom;
// A row kernel of the broadcast walker (kernels/ref/binary.h).
typedef void (*RowFn)(const void* const* in, const uint8_t* unit, void* y, int64_t n, const void* params);

sdk_status conv_s8_prepare(PrepareContext& ctx, const ConvGeom& g);
sdk_status conv_s8_run(const RunContext& ctx);
sdk_status gemm_s8_prepare(PrepareContext& ctx);
sdk_status gemm_s8_run(const RunContext& ctx);
sdk_status add_s8_prepare(PrepareContext& ctx);
sdk_status add_s8_run(const RunContext& ctx);
// Mul: the row kernel and its parameters for the op's broadcast walker (kernels/ref/mul_s8.cpp).
sdk_status mul_s8_prepare(PrepareContext& ctx, RowFn* fn, const void** params);
sdk_status maxpool_s8_prepare(PrepareContext& ctx);
sdk_status maxpool_s8_run(const RunContext& ctx);
sdk_status averagepool_s8_prepare(PrepareContext& ctx);
sdk_status averagepool_s8_run(const RunContext& ctx);
sdk_status globalaveragepool_s8_prepare(PrepareContext& ctx);
sdk_status globalaveragepool_s8_run(const RunContext& ctx);
sdk_status concat_s8_prepare(PrepareContext& ctx);
sdk_status concat_s8_run(const RunContext& ctx);

namespace s8 {

// (scale, zero point) of a per-tensor quantized int8 tensor; fails the prepare otherwise.
inline sdk_status tensor_qp(PrepareContext& ctx, const Tensor* t, float* scale, int32_t* zp) {
    if (!t || t->dtype != DType::I8)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "tensor '%s' is not int8 (int8 ops need int8 inputs and outputs)",
                        t ? t->name : "?");
    if (!t->quant || t->quant->axis != -1 || t->quant->count != 1 || !(t->quant->scales[0] > 0.0f))
        return ctx.fail(SDK_ERR_BAD_MODEL, "int8 tensor '%s' needs per-tensor quantization with a positive scale",
                        t->name);
    *scale = t->quant->scales[0];
    *zp = t->quant->zero_points[0];
    if (*zp < -128 || *zp > 127)
        return ctx.fail(SDK_ERR_BAD_MODEL, "int8 tensor '%s' has zero point %d outside [-128, 127]", t->name, *zp);
    return SDK_OK;
}

// Fused activation of the op as output clamps (Relu, Clip only).
sdk_status read_clamp(PrepareContext& ctx, float out_scale, int32_t out_zp, int32_t* lo, int32_t* hi);

}  // namespace s8
}  // namespace sdk
