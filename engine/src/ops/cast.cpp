// Cast: the input's values in the output's dtype, between f32, f16, i64, i32, i8, u8 and
// bool (raw values: quantized tensors are refused). Integers wrap when narrowed (as numpy);
// floats become integers by truncation toward zero, NaN becoming 0 and values outside
// int64 saturating (C leaves those undefined); f32 -> f16 rounds to nearest even
// (core/half.h); any nonzero (NaN too) is true. In place when the sizes allow (kOpInplace):
// each block of elements is read before it is written.
#include "core/half.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

constexpr int kBlock = 256;

struct CastData {
    DType from, to;
};

bool is_float(DType t) { return t == DType::F32 || t == DType::F16; }

// block -> float or int64 staging
void load(DType t, const void* x, int64_t i, int n, float* f, int64_t* v) {
    switch (t) {
        case DType::F32: for (int k = 0; k < n; ++k) f[k] = static_cast<const float*>(x)[i + k]; break;
        case DType::F16: for (int k = 0; k < n; ++k) f[k] = half_to_float(static_cast<const uint16_t*>(x)[i + k]); break;
        case DType::I64: for (int k = 0; k < n; ++k) v[k] = static_cast<const int64_t*>(x)[i + k]; break;
        case DType::I32: for (int k = 0; k < n; ++k) v[k] = static_cast<const int32_t*>(x)[i + k]; break;
        case DType::I8: for (int k = 0; k < n; ++k) v[k] = static_cast<const int8_t*>(x)[i + k]; break;
        default: for (int k = 0; k < n; ++k) v[k] = static_cast<const uint8_t*>(x)[i + k]; break;  // U8, BOOL
    }
}

void store(DType t, void* y, int64_t i, int n, const float* f, const int64_t* v, bool from_float) {
    if (t == DType::BOOL) {
        uint8_t* o = static_cast<uint8_t*>(y) + i;
        if (from_float) {
            for (int k = 0; k < n; ++k) o[k] = f[k] != 0.0f;  // NaN != 0: true
        } else {
            for (int k = 0; k < n; ++k) o[k] = v[k] != 0;
        }
        return;
    }
    if (is_float(t)) {
        float tmp[kBlock];
        if (!from_float) {
            for (int k = 0; k < n; ++k) tmp[k] = static_cast<float>(v[k]);
            f = tmp;
        }
        if (t == DType::F32) {
            for (int k = 0; k < n; ++k) static_cast<float*>(y)[i + k] = f[k];
        } else {
            for (int k = 0; k < n; ++k) static_cast<uint16_t*>(y)[i + k] = float_to_half(f[k]);
        }
        return;
    }
    int64_t tmp[kBlock];
    if (from_float) {
        for (int k = 0; k < n; ++k) {
            const float a = f[k];
            tmp[k] = a != a ? 0 : (a >= 9.2233720368547758e18f ? INT64_MAX : (a < -9.2233720368547758e18f ? INT64_MIN
                                                                                                         : (int64_t)a));
        }
        v = tmp;
    }
    switch (t) {  // narrowing wraps (two's complement)
        case DType::I64: for (int k = 0; k < n; ++k) static_cast<int64_t*>(y)[i + k] = v[k]; break;
        case DType::I32: for (int k = 0; k < n; ++k) static_cast<int32_t*>(y)[i + k] = (int32_t)(uint32_t)(uint64_t)v[k]; break;
        default: for (int k = 0; k < n; ++k) static_cast<uint8_t*>(y)[i + k] = (uint8_t)(uint64_t)v[k]; break;  // I8, U8
    }
}

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const Tensor& y = *ctx.output(0);
    if ((st = ctx.check_output_shape(0, x.shape)) != SDK_OK) return st;
    if (x.quant || y.quant)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "Cast takes raw values; '%.64s' is quantized", x.quant ? x.name : y.name);
    CastData* d = opu::alloc_op_data<CastData>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    d->from = x.dtype;
    d->to = y.dtype;
    return SDK_OK;
}

struct Job {
    const RunContext* ctx;
    const CastData* d;
};

void run_range(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    float f[kBlock];
    int64_t v[kBlock];
    const bool from_float = is_float(j.d->from);
    for (int64_t i = begin; i < end; i += kBlock) {
        const int n = end - i < kBlock ? static_cast<int>(end - i) : kBlock;
        load(j.d->from, j.ctx->in_data[0], i, n, f, v);
        store(j.d->to, j.ctx->out_data[0], i, n, f, v, from_float);
    }
}

sdk_status run(const RunContext& ctx) {
    Job job{&ctx, static_cast<const CastData*>(ctx.op_data)};
    parallel_for(ctx.pool, ctx.output(0).shape.count(), 16384, run_range, &job);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_cast = {"Cast", sdk::prepare, sdk::run, sdk::kOpInplace};
