// DequantizeLinear: y = (q - zp) * scale, two forms:
//  - one input (the int8 graph's edges, quantize.py): int8 -> f32 with the input tensor's
//    per-tensor (scale, zero point) from its QuantRec;
//  - ONNX's runtime form: X (i8, u8 or i32), x_scale (f32, scalar or per `axis`), optional
//    x_zero_point (X's dtype) -> f32.
#include "core/op.h"
#if SDK_FEATURE_NEON && defined(__aarch64__)
#include <arm_neon.h>
#endif
#include "ops/qparams_op.h"

namespace sdk {
#if SDK_FEATURE_X86 && SDK_FEATURE_INT8
namespace s8 {  // kernels/x86/dequantizelinear_s8.cpp
bool cpu_has_avx2();
int64_t dequantize_s8_avx2(const int8_t* x, int64_t n, float scale, int32_t zp, float* y);
}  // namespace s8
#endif
namespace {

struct DqData {
    float scale;
    int32_t zp;
    int64_t count;
    bool avx2;
};

struct Job {
    const DqData* d;
    const int8_t* x;
    float* y;
};

void range(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
#if SDK_FEATURE_X86 && SDK_FEATURE_INT8
    if (j.d->avx2) begin += s8::dequantize_s8_avx2(j.x + begin, end - begin, j.d->scale, j.d->zp, j.y + begin);
#endif
#if SDK_FEATURE_NEON && defined(__aarch64__)
    if (j.d->zp >= -128 && j.d->zp <= 127) {  // the loop below, 8 at a time (exact int -> float, one multiply)
        const int16x8_t vz = vdupq_n_s16((int16_t)j.d->zp);
        const float32x4_t vs = vdupq_n_f32(j.d->scale);
        for (; begin + 8 <= end; begin += 8) {
            const int16x8_t v = vsubq_s16(vmovl_s8(vld1_s8(j.x + begin)), vz);
            vst1q_f32(j.y + begin, vmulq_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(v))), vs));
            vst1q_f32(j.y + begin + 4, vmulq_f32(vcvtq_f32_s32(vmovl_high_s16(v)), vs));
        }
    }
#endif
    for (int64_t i = begin; i < end; ++i) j.y[i] = (float)((int32_t)j.x[i] - j.d->zp) * j.d->scale;
}

// ---- ONNX runtime form
struct DxData {
    qp::Axis ax;
    bool s_axis, z_axis;  // per-axis scale / zero point (else one value)
    int64_t count;
    DType xt;
};

struct DxJob {
    const DxData* d;
    const RunContext* ctx;
};

void dx_range(void* arg, int64_t begin, int64_t end) {
    const DxJob& j = *static_cast<const DxJob*>(arg);
    const DxData& d = *j.d;
    const RunContext& c = *j.ctx;
    const float* scale = c.in<float>(1);
    const void* zp = c.num_inputs > 2 ? c.in_data[2] : nullptr;
    float* y = c.out<float>(0);
    for (int64_t i = begin; i < end; ++i) {
        const int64_t ch = d.ax.channels > 1 ? (i / d.ax.inner) % d.ax.channels : 0;
        const int32_t z = zp ? qp::load_int(zp, d.xt, d.z_axis ? ch : 0) : 0;
        y[i] = (float)(qp::load_int(c.in_data[0], d.xt, i) - z) * scale[d.s_axis ? ch : 0];
    }
}

sdk_status prepare_onnx(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 2, 3, 2, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const Tensor& s = *ctx.input(1);
    const Tensor* z = ctx.input(2);
    if (!qp::int_dtype(x.dtype))
        return ctx.fail(SDK_ERR_UNSUPPORTED, "x '%s' is %s; expected i8, u8 or i32", x.name, dtype_name(x.dtype));
    if (ctx.output(0)->dtype != DType::F32 || s.dtype != DType::F32)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "x_scale and the output must be f32");
    if (!SDK_FEATURE_FP32)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "this engine was built without f32 kernels (feature fp32 disabled)");
    if (z && z->dtype != x.dtype)
        return ctx.fail(SDK_ERR_BAD_MODEL, "x_zero_point '%s' is %s but x is %s", z->name, dtype_name(z->dtype),
                        dtype_name(x.dtype));
    int32_t axis = 1;
    if ((st = opu::int_attr(ctx, "axis", 1, &axis)) != SDK_OK) return st;
    DxData d = {};
    qp::Axis as, az;
    if ((st = qp::check(ctx, x, &s, "x_scale", axis, &as)) != SDK_OK) return st;
    if ((st = qp::check(ctx, x, z, "x_zero_point", axis, &az)) != SDK_OK) return st;
    if (as.channels > 1 && az.channels > 1 && az.channels != as.channels)
        return ctx.fail(SDK_ERR_BAD_MODEL, "x_scale and x_zero_point have different counts");
    d.s_axis = as.channels > 1;
    d.z_axis = az.channels > 1;
    d.ax = d.s_axis ? as : az;
    d.count = x.shape.count();
    d.xt = x.dtype;
    if ((st = ctx.check_output_shape(0, x.shape)) != SDK_OK) return st;
    DxData* p = opu::alloc_op_data<DxData>(ctx);
    if (!p) return SDK_ERR_OUT_OF_MEMORY;
    *p = d;
    return SDK_OK;
}

sdk_status prepare(PrepareContext& ctx) {
    if (ctx.num_inputs() > 1) return prepare_onnx(ctx);
    if (ctx.num_inputs() != 1 || ctx.num_outputs() != 1 || !ctx.input(0) || !ctx.output(0))
        return ctx.fail(SDK_ERR_BAD_MODEL, "DequantizeLinear takes 1 input and 1 output");
    const Tensor* x = ctx.input(0);
    const Tensor* y = ctx.output(0);
    if (x->dtype != DType::I8 || y->dtype != DType::F32)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "DequantizeLinear supports int8 -> f32 only");
    if (!SDK_FEATURE_INT8) return ctx.fail(SDK_ERR_UNSUPPORTED, "this engine build has no int8 support");
    if (!x->quant || x->quant->axis != -1 || x->quant->count != 1)
        return ctx.fail(SDK_ERR_BAD_MODEL, "input '%s' needs per-tensor quantization", x->name);
    if (!x->shape.equals(y->shape)) return ctx.fail(SDK_ERR_BAD_MODEL, "input and output shapes differ");
    DqData* d = static_cast<DqData*>(ctx.alloc(sizeof(DqData)));
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    d->scale = x->quant->scales[0];
    d->zp = x->quant->zero_points[0];
    d->count = y->shape.count();
#if SDK_FEATURE_X86 && SDK_FEATURE_INT8
    d->avx2 = s8::cpu_has_avx2();
#else
    d->avx2 = false;
#endif
    ctx.set_op_data(d);
    return SDK_OK;
}

sdk_status run(const RunContext& ctx) {
    if (ctx.num_inputs > 1) {
        DxJob j{static_cast<const DxData*>(ctx.op_data), &ctx};
        parallel_for(ctx.pool, j.d->count, 16384, dx_range, &j);
        return SDK_OK;
    }
    const DqData& d = *static_cast<const DqData*>(ctx.op_data);
    Job j{&d, ctx.in<int8_t>(0), ctx.out<float>(0)};
    parallel_for(ctx.pool, d.count, 16384, range, &j);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_dequantizelinear = {"DequantizeLinear", sdk::prepare, sdk::run, sdk::kOpNone};
