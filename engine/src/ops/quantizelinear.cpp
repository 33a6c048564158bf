// QuantizeLinear, two forms:
//  - one input (the int8 graph's edges, quantize.py): f32 -> int8 with the output tensor's
//    per-tensor (scale, zero point) from its QuantRec;
//  - ONNX's runtime form: X (f32), y_scale (f32, scalar or per `axis`), optional
//    y_zero_point (i8/u8, its dtype the output's; absent: u8 zero) -> i8 or u8. X may also be
//    i32 (an integer accumulator, as QLinearConv/QLinearMatMul lower) with `multiply` 1:
//    then q = saturate(round(x * y_scale) + zp) with y_scale the requantization multiplier.
// Otherwise q = saturate(round_half_even(x / scale) + zp), as ONNX defines it.
#include <math.h>

#include "core/op.h"
#include "ops/qparams_op.h"
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>
#endif

namespace sdk {
#if SDK_FEATURE_X86 && SDK_FEATURE_INT8
namespace s8 {  // kernels/x86/quantizelinear_s8.cpp (int8 perf engineer)
bool cpu_has_avx2();
int64_t quantize_f32_avx2(const float* x, int64_t n, float scale, int32_t zp, int8_t* y);
}  // namespace s8
#endif
namespace {

struct QData {
    float scale;
    int32_t zp;
    int64_t count;
    bool avx2;
};

struct Job {
    const QData* d;
    const float* x;
    int8_t* y;
};

void range(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const float s = j.d->scale;
    const float zp = (float)j.d->zp;
#if SDK_FEATURE_X86 && SDK_FEATURE_INT8
    if (j.d->avx2) begin += s8::quantize_f32_avx2(j.x + begin, end - begin, s, j.d->zp, j.y + begin);
#endif
#if SDK_FEATURE_NEON && defined(__aarch64__)
    {  // the loop below, 8 at a time: IEEE division, FRINTI (the current mode, as nearbyintf), NaN -> zp
        const float32x4_t vs = vdupq_n_f32(s), vz = vdupq_n_f32(zp), lo = vdupq_n_f32(-128.0f),
                          hi = vdupq_n_f32(127.0f);
        for (; begin + 8 <= end; begin += 8) {
            int32x4_t q[2];
            for (int h = 0; h < 2; ++h) {
                float32x4_t v = vaddq_f32(vrndiq_f32(vdivq_f32(vld1q_f32(j.x + begin + 4 * h), vs)), vz);
                v = vbslq_f32(vceqq_f32(v, v), v, vz);
                q[h] = vcvtq_s32_f32(vminq_f32(vmaxq_f32(v, lo), hi));
            }
            vst1_s8(j.y + begin, vmovn_s16(vcombine_s16(vmovn_s32(q[0]), vmovn_s32(q[1]))));
        }
    }
#elif SDK_FEATURE_NEON && defined(__ARM_NEON)
    {  // ARMv7 (no NEON division or FRINTI; nearbyintf was a libm call per element, ~70
       // instructions): the IEEE division on VFP, then 4 at a time round half to even by adding
       // and subtracting 1.5 * 2^23 (exact for |v| < 2^22; beyond, and +-inf, the result stays
       // past the clamp on its side), NaN -> zp, clamp. (NEON flushes a denormal quotient to 0:
       // it rounds to 0 either way.)
        const float32x4_t vz = vdupq_n_f32(zp), lo = vdupq_n_f32(-128.0f), hi = vdupq_n_f32(127.0f),
                          magic = vdupq_n_f32(12582912.0f);
        for (; begin + 8 <= end; begin += 8) {
            int32x4_t q[2];
            for (int h = 0; h < 2; ++h) {
                const float* x = j.x + begin + 4 * h;
                const float t[4] = {x[0] / s, x[1] / s, x[2] / s, x[3] / s};
                float32x4_t v = vaddq_f32(vsubq_f32(vaddq_f32(vld1q_f32(t), magic), magic), vz);
                v = vbslq_f32(vceqq_f32(v, v), v, vz);
                q[h] = vcvtq_s32_f32(vminq_f32(vmaxq_f32(v, lo), hi));
            }
            vst1_s8(j.y + begin, vmovn_s16(vcombine_s16(vmovn_s32(q[0]), vmovn_s32(q[1]))));
        }
    }
#endif
    for (int64_t i = begin; i < end; ++i) {
        float v = nearbyintf(j.x[i] / s) + zp;  // default rounding mode: half to even
        if (v != v) v = zp;                     // NaN -> the zero point (real 0)
        j.y[i] = (int8_t)(v < -128.0f ? -128 : (v > 127.0f ? 127 : (int32_t)v));
    }
}

// ---- ONNX runtime form
struct QxData {
    qp::Axis ax;
    bool s_axis, z_axis;  // per-axis scale / zero point (else one value)
    int64_t count;
    DType xt, yt, zt;
    bool multiply;
};

struct QxJob {
    const QxData* d;
    const RunContext* ctx;
};

void qx_range(void* arg, int64_t begin, int64_t end) {
    const QxJob& j = *static_cast<const QxJob*>(arg);
    const QxData& d = *j.d;
    const RunContext& c = *j.ctx;
    const float* scale = c.in<float>(1);
    const void* zp = c.num_inputs > 2 ? c.in_data[2] : nullptr;
    for (int64_t i = begin; i < end; ++i) {
        const int64_t ch = d.ax.channels > 1 ? (i / d.ax.inner) % d.ax.channels : 0;
        const float s = scale[d.s_axis ? ch : 0];
        const float z = zp ? (float)qp::load_int(zp, d.zt, d.z_axis ? ch : 0) : 0.0f;
        float v;
        if (d.xt == DType::I32) {
            const float x = (float)c.in<int32_t>(0)[i];
            v = d.multiply ? nearbyintf(x * s) : nearbyintf(x / s);
        } else {
            v = nearbyintf(c.in<float>(0)[i] / s);
        }
        qp::store_sat(c.out_data[0], d.yt, i, v + z);
    }
}

sdk_status prepare_onnx(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 2, 3, 2, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const Tensor& s = *ctx.input(1);
    const Tensor* z = ctx.input(2);
    const Tensor& y = *ctx.output(0);
    QxData d = {};
    d.xt = x.dtype;
    d.yt = y.dtype;
    if (x.dtype != DType::F32 && x.dtype != DType::I32)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "x '%s' is %s; expected f32 (or i32)", x.name, dtype_name(x.dtype));
    if (x.dtype == DType::F32 && !SDK_FEATURE_FP32)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "this engine was built without f32 kernels (feature fp32 disabled)");
    if (y.dtype != DType::I8 && y.dtype != DType::U8)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "output '%s' is %s; expected i8 or u8", y.name, dtype_name(y.dtype));
    if (s.dtype != DType::F32) return ctx.fail(SDK_ERR_BAD_MODEL, "y_scale '%s' must be f32", s.name);
    if (z && z->dtype != y.dtype)
        return ctx.fail(SDK_ERR_BAD_MODEL, "y_zero_point '%s' is %s but the output is %s", z->name,
                        dtype_name(z->dtype), dtype_name(y.dtype));
    d.zt = z ? z->dtype : y.dtype;
    int32_t axis = 1, mul = 0;
    if ((st = opu::int_attr(ctx, "axis", 1, &axis)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "multiply", 0, &mul)) != SDK_OK) return st;
    d.multiply = mul != 0;
    qp::Axis as, az;
    if ((st = qp::check(ctx, x, &s, "y_scale", axis, &as)) != SDK_OK) return st;
    if ((st = qp::check(ctx, x, z, "y_zero_point", axis, &az)) != SDK_OK) return st;
    if (as.channels > 1 && az.channels > 1 && az.channels != as.channels)
        return ctx.fail(SDK_ERR_BAD_MODEL, "y_scale and y_zero_point have different counts");
    d.s_axis = as.channels > 1;
    d.z_axis = az.channels > 1;
    d.ax = d.s_axis ? as : az;
    d.count = x.shape.count();
    if ((st = ctx.check_output_shape(0, x.shape)) != SDK_OK) return st;
    QxData* p = opu::alloc_op_data<QxData>(ctx);
    if (!p) return SDK_ERR_OUT_OF_MEMORY;
    *p = d;
    return SDK_OK;
}

sdk_status prepare(PrepareContext& ctx) {
    if (ctx.num_inputs() > 1) return prepare_onnx(ctx);
    if (ctx.num_inputs() != 1 || ctx.num_outputs() != 1 || !ctx.input(0) || !ctx.output(0))
        return ctx.fail(SDK_ERR_BAD_MODEL, "QuantizeLinear takes 1 input and 1 output");
    const Tensor* x = ctx.input(0);
    const Tensor* y = ctx.output(0);
    if (x->dtype != DType::F32 || y->dtype != DType::I8)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "QuantizeLinear supports f32 -> int8 only");
    if (!SDK_FEATURE_INT8) return ctx.fail(SDK_ERR_UNSUPPORTED, "this engine build has no int8 support");
    if (!y->quant || y->quant->axis != -1 || y->quant->count != 1 || !(y->quant->scales[0] > 0.0f))
        return ctx.fail(SDK_ERR_BAD_MODEL, "output '%s' needs per-tensor quantization with a positive scale", y->name);
    if (!x->shape.equals(y->shape)) return ctx.fail(SDK_ERR_BAD_MODEL, "input and output shapes differ");
    QData* d = static_cast<QData*>(ctx.alloc(sizeof(QData)));
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    d->scale = y->quant->scales[0];
    d->zp = y->quant->zero_points[0];
    d->count = y->shape.count();
#if SDK_FEATURE_X86 && SDK_FEATURE_INT8
    d->avx2 = s8::cpu_has_avx2();
#else
    d->avx2 = false;
#endif
    if (d->zp < -128 || d->zp > 127) return ctx.fail(SDK_ERR_BAD_MODEL, "zero point %d outside int8", d->zp);
    ctx.set_op_data(d);
    return SDK_OK;
}

sdk_status run(const RunContext& ctx) {
    if (ctx.num_inputs > 1) {
        QxJob j{static_cast<const QxData*>(ctx.op_data), &ctx};
        parallel_for(ctx.pool, j.d->count, 16384, qx_range, &j);
        return SDK_OK;
    }
    const QData& d = *static_cast<const QData*>(ctx.op_data);
    Job j{&d, ctx.in<float>(0), ctx.out<int8_t>(0)};
    parallel_for(ctx.pool, d.count, 16384, range, &j);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_quantizelinear = {"QuantizeLinear", sdk::prepare, sdk::run, sdk::kOpNone};
