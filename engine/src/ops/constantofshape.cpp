// ConstantOfShape: the output filled with `value` (a float attribute for f32/f16 outputs,
// an int one for i64/i32/i8/u8/bool; default 0). No inputs: ONNX's shape input is the
// attribute `shape` and the type of ONNX's value tensor the attribute `dtype` (an ONNX
// type code); both must match the output tensor. The converter folds every
// ConstantOfShape it can and emits this op only for a constant that must be produced at
// run time (Dropout's all-true mask as a graph output).
#include "core/half.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

struct FillData {
    uint8_t bytes[8];  // one element of the output dtype
    uint8_t size;
};

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 0, 0, 0, 1);
    if (st != SDK_OK) return st;
    const Tensor& y = *ctx.output(0);
    int32_t dims[kMaxRank];
    const int rank = ctx.attr_ints("shape", dims, kMaxRank);
    bool same = rank >= 0 && rank <= kMaxRank &&
                (rank == y.shape.rank || (y.shape.rank == 0 && rank == 1 && dims[0] == 1));
    for (int i = 0; same && i < y.shape.rank; ++i) same = dims[i] == y.shape.dims[i];
    if (!same) return ctx.fail(SDK_ERR_BAD_MODEL, "attribute 'shape' is missing or differs from the output's shape");
    // ONNX type codes of the engine dtypes: FLOAT 1, UINT8 2, INT8 3, INT32 6, INT64 7, BOOL 9, FLOAT16 10
    static const uint8_t kOnnx[kMaxDType + 1] = {0, 1, 3, 6, 2, 7, 9, 10};
    if (ctx.attr_int("dtype", -1) != kOnnx[static_cast<int>(y.dtype)])
        return ctx.fail(SDK_ERR_BAD_MODEL, "attribute 'dtype' is missing or is not the output's (%s)",
                        dtype_name(y.dtype));
    FillData* d = opu::alloc_op_data<FillData>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    d->size = static_cast<uint8_t>(dtype_size(y.dtype));
    if (y.dtype == DType::F32 || y.dtype == DType::F16) {
        float v = 0.0f;
        if ((st = opu::float_attr(ctx, "value", 0.0f, &v)) != SDK_OK) return st;
        if (y.dtype == DType::F32) {
            memcpy(d->bytes, &v, 4);
        } else {
            const uint16_t h = float_to_half(v);
            memcpy(d->bytes, &h, 2);
        }
        return SDK_OK;
    }
    if (y.quant) return ctx.fail(SDK_ERR_UNSUPPORTED, "a quantized output is not supported");
    int32_t v = 0;
    if ((st = opu::int_attr(ctx, "value", 0, &v)) != SDK_OK) return st;
    const int64_t w = y.dtype == DType::BOOL ? (v != 0) : v;
    memcpy(d->bytes, &w, d->size);  // little-endian: the low bytes
    return SDK_OK;
}

sdk_status run(const RunContext& ctx) {
    const FillData& d = *static_cast<const FillData*>(ctx.op_data);
    uint8_t* y = ctx.out<uint8_t>(0);
    const int64_t n = ctx.output(0).shape.count();
    for (int64_t i = 0; i < n; ++i) memcpy(y + i * d.size, d.bytes, d.size);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_constantofshape = {"ConstantOfShape", sdk::prepare, sdk::run, sdk::kOpNone};
