// Attention: Y = softmax(scale * Q K^T + bias) V per (batch, head), 4-D only (the converter
// maps 3-D inputs, the past key/value cache and the MatMul-Softmax-MatMul pattern of
// exported models onto it). Inputs: Q [B, Hq, S, D], K [B, Hkv, L, D] (or [B, Hkv, D, L]
// with `k_transposed` 1), V [B, Hkv, L, Dv], optional mask (f32 added, or bool: true =
// attend; broadcast to [B, Hq, S, <=L], missing keys masked), optional nonpad_kv_seqlen
// [B] (i64 or i32). Attributes: `scale` (default 1/sqrt(D)), `softcap` (0 none),
// `is_causal`, `offset` (the causal/window offset, i.e. the past length, when there is no
// nonpad input; with it the offset is nonpad - S), `left_window` / `right_window` (-1
// unbounded), `qk_mode` (0..3: what the optional second output holds, as ONNX's
// qk_matmul_output_mode). Hq must be a multiple of Hkv (grouped-query attention).
// A row whose keys are all masked gives zeros. Kernels: kernels/ref/attention_f32.cpp.
#include <math.h>

#include "core/op.h"
#include "kernels/ref/attention.h"
#include "ops/op_util.h"

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    int nout = ctx.num_outputs();
    if (nout < 1 || nout > 2) return ctx.fail(SDK_ERR_BAD_MODEL, "expects 1 or 2 outputs, got %d", nout);
    sdk_status st = opu::check_arity(ctx, 3, 5, 3, nout);
    if (st != SDK_OK) return st;
    const Tensor* q = ctx.input(0);
    const Tensor* k = ctx.input(1);
    const Tensor* v = ctx.input(2);
    const Tensor* mask = ctx.input(3);
    const Tensor* nonpad = ctx.input(4);
    for (int i = 0; i < 3; ++i)
        if ((st = opu::require_rank(ctx, ctx.input(i), "input", 4)) != SDK_OK) return st;
    for (int i = 0; i < 3; ++i)
        if (ctx.input(i)->dtype != DType::F32)
            return ctx.fail(SDK_ERR_UNSUPPORTED, "input %d ('%s') is %s; Attention computes in f32", i,
                            ctx.input(i)->name, dtype_name(ctx.input(i)->dtype));
    ref::AttentionF32Plan p = {};
    int32_t kt = 0, causal = 0, qk_mode = 0;
    if ((st = opu::int_attr(ctx, "k_transposed", 0, &kt)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "is_causal", 0, &causal)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "offset", 0, &p.offset)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "left_window", -1, &p.left)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "right_window", -1, &p.right)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "qk_mode", 0, &qk_mode)) != SDK_OK) return st;
    if ((st = opu::float_attr(ctx, "softcap", 0.0f, &p.softcap)) != SDK_OK) return st;
    p.k_transposed = kt != 0;
    p.causal = causal != 0;
    p.batch = q->shape.dims[0];
    p.hq = q->shape.dims[1];
    p.s = q->shape.dims[2];
    p.d = q->shape.dims[3];
    p.hkv = k->shape.dims[1];
    p.l = p.k_transposed ? k->shape.dims[3] : k->shape.dims[2];
    int32_t kd = p.k_transposed ? k->shape.dims[2] : k->shape.dims[3];
    p.dv = v->shape.dims[3];
    if ((st = opu::float_attr(ctx, "scale", p.d > 0 ? 1.0f / sqrtf((float)p.d) : 1.0f, &p.scale)) != SDK_OK) return st;
    if (k->shape.dims[0] != p.batch || v->shape.dims[0] != p.batch || kd != p.d || v->shape.dims[1] != p.hkv ||
        v->shape.dims[2] != p.l || p.hkv < 1 || p.hq % p.hkv)
        return ctx.fail(SDK_ERR_BAD_MODEL,
                        "Q [%d, %d, %d, %d], K '%s' and V '%s' do not fit (same batch and head size, Hq a multiple of "
                        "Hkv, V with K's heads and length)",
                        p.batch, p.hq, p.s, p.d, k->name, v->name);
    if (p.left < -1 || p.right < -1) return ctx.fail(SDK_ERR_BAD_MODEL, "window sizes must be >= -1");
    if (qk_mode < 0 || qk_mode > 3) return ctx.fail(SDK_ERR_BAD_MODEL, "qk_mode %d must be 0..3", qk_mode);
    p.qk_mode = nout > 1 ? qk_mode : -1;
    if (mask) {
        if (mask->dtype != DType::F32 && mask->dtype != DType::BOOL)
            return ctx.fail(SDK_ERR_UNSUPPORTED, "mask '%s' is %s; expected f32 or bool", mask->name,
                            dtype_name(mask->dtype));
        const Shape& ms = mask->shape;
        if (ms.rank < 1 || ms.rank > 4)
            return ctx.fail(SDK_ERR_BAD_MODEL, "mask '%s' has rank %d; expected 1 to 4", mask->name, ms.rank);
        p.mask_kind = mask->dtype == DType::F32 ? 1 : 2;
        p.mask_l = ms.dims[ms.rank - 1];
        const int32_t target[4] = {p.batch, p.hq, p.s, p.mask_l};
        int64_t strides[4] = {0, 0, 0, 0}, stride = 1;
        for (int i = 3; i >= 0; --i) {
            int mi = ms.rank - 4 + i;
            int32_t dim = mi >= 0 ? ms.dims[mi] : 1;
            if (dim != target[i] && dim != 1)
                return ctx.fail(SDK_ERR_BAD_MODEL, "mask '%s' does not broadcast to [%d, %d, %d, <=%d]", mask->name,
                                p.batch, p.hq, p.s, p.l);
            strides[i] = dim == 1 ? 0 : stride;
            stride *= dim;
        }
        if (p.mask_l > p.l)
            return ctx.fail(SDK_ERR_BAD_MODEL, "mask '%s' covers %d keys but there are %d", mask->name, p.mask_l, p.l);
        p.mask_sb = strides[0];
        p.mask_sh = strides[1];
        p.mask_ss = strides[2];
    }
    if (nonpad) {
        if ((nonpad->dtype != DType::I64 && nonpad->dtype != DType::I32) || nonpad->shape.count() != p.batch)
            return ctx.fail(SDK_ERR_BAD_MODEL, "nonpad_kv_seqlen '%s' must be %d int64 or int32 values", nonpad->name,
                            p.batch);
        p.nonpad_kind = nonpad->dtype == DType::I64 ? 1 : 2;
    }
    Shape out;
    out.rank = 4;
    out.dims[0] = p.batch;
    out.dims[1] = p.hq;
    out.dims[2] = p.s;
    out.dims[3] = p.dv;
    if ((st = ctx.check_output_shape(0, out)) != SDK_OK) return st;
    if (nout > 1) {
        out.dims[3] = p.l;
        if ((st = ctx.check_output_shape(1, out)) != SDK_OK) return st;
    }
    for (int i = 0; i < nout; ++i)
        if (ctx.output(i)->dtype != DType::F32) return ctx.fail(SDK_ERR_BAD_MODEL, "output %d must be f32", i);
#if !SDK_FEATURE_FP32
    return ctx.fail(SDK_ERR_UNSUPPORTED, "this engine was built without f32 kernels (feature fp32 disabled)");
#else
    ref::AttentionF32Plan* d = opu::alloc_op_data<ref::AttentionF32Plan>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    *d = p;
    ctx.request_thread_scratch(ref::attention_f32_thread_scratch_bytes(p));
    return SDK_OK;
#endif
}

sdk_status run(const RunContext& ctx) {
#if SDK_FEATURE_FP32
    const ref::AttentionF32Plan& p = *static_cast<const ref::AttentionF32Plan*>(ctx.op_data);
    ref::attention_f32(p, ctx.in<float>(0), ctx.in<float>(1), ctx.in<float>(2),
                       ctx.num_inputs > 3 ? ctx.in_data[3] : nullptr, ctx.num_inputs > 4 ? ctx.in_data[4] : nullptr,
                       ctx.out<float>(0), ctx.num_outputs > 1 ? ctx.out<float>(1) : nullptr, ctx);
    return SDK_OK;
#else
    (void)ctx;
    return SDK_ERR_UNSUPPORTED;
#endif
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_attention = {"Attention", sdk::prepare, sdk::run, sdk::kOpNone};
