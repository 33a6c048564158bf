// Int8 Add of two same-shape tensors with their own quantization (TFLite's scheme): both
// inputs are moved to a common fixed-point scale (2 * max input scale, 20 fractional
// bits), added, then requantized to the output; a fused Relu/Clip is an output clamp.
// Each input's move depends on its byte alone: a 256-entry table per input, built at
// prepare with the same arithmetic, leaves one requantization per element.
#include "kernels/ops_s8.h"
#include "kernels/requant_s8.h"
#if SDK_FEATURE_X86
#include "kernels/gemm_s8.h"
#include "kernels/x86/add_s8.h"
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include "kernels/gemm_s8.h"
#include "kernels/neon/add_s8.h"
#endif

namespace sdk {
namespace {

constexpr int kLeftShift = 20;

struct AddS8Data {
    int32_t a_zp, b_zp, out_zp, act_min, act_max;
    s8::Mult ma, mb, mo;
    int64_t count;
    int32_t* ta;  // [2][256]: the moved value of each byte of a, then of b (index byte + 128)
#if SDK_FEATURE_X86
    bool avx2;  // with the AVX2 int8 GEMM (SDK_INT8_GEMM=ref forces the portable loop)
    s8::AddParams p;
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    bool neon;  // with the NEON int8 tier (SDK_INT8_GEMM=ref forces the portable loop)
    s8::AddNeon pn;
#endif
};

struct Job {
    const AddS8Data* d;
    const int8_t *a, *b;
    int8_t* y;
};

void add_range(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const AddS8Data& d = *j.d;
#if SDK_FEATURE_X86
    if (d.avx2) begin += s8::add_s8_avx2(d.p, j.a + begin, j.b + begin, j.y + begin, end - begin);
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    if (d.neon) begin += s8::add_s8_neon(d.pn, j.a + begin, j.b + begin, j.y + begin, end - begin);
#endif
    const int32_t *ta = d.ta + 128, *tb = d.ta + 256 + 128;
    for (int64_t i = begin; i < end; ++i) {
        const int64_t v = (int64_t)s8::mbqm(ta[j.a[i]] + tb[j.b[i]], d.mo.mult, d.mo.shift) + d.out_zp;
        j.y[i] = (int8_t)(v < d.act_min ? d.act_min : (v > d.act_max ? d.act_max : v));
    }
}

}  // namespace

sdk_status add_s8_prepare(PrepareContext& ctx) {
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    const Tensor* y = ctx.output(0);
    if (!a->shape.equals(b->shape) || !a->shape.equals(y->shape))
        return ctx.fail(SDK_ERR_UNSUPPORTED, "int8 Add needs inputs and output of one shape (no broadcasting)");
    float as = 1.0f, bs = 1.0f, ys = 1.0f;
    AddS8Data* d = static_cast<AddS8Data*>(ctx.alloc(sizeof(AddS8Data)));
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    ctx.set_op_data(d);
    sdk_status st = s8::tensor_qp(ctx, a, &as, &d->a_zp);
    if (st == SDK_OK) st = s8::tensor_qp(ctx, b, &bs, &d->b_zp);
    if (st == SDK_OK) st = s8::tensor_qp(ctx, y, &ys, &d->out_zp);
    if (st == SDK_OK) st = s8::read_clamp(ctx, ys, d->out_zp, &d->act_min, &d->act_max);
    if (st != SDK_OK) return st;
    const double twice = 2.0 * (as > bs ? (double)as : (double)bs);
    d->ma = s8::quantize_multiplier((double)as / twice);
    d->mb = s8::quantize_multiplier((double)bs / twice);
    d->mo = s8::quantize_multiplier(twice / ((double)(1 << kLeftShift) * (double)ys));
    d->count = y->shape.count();
    d->ta = static_cast<int32_t*>(ctx.alloc(sizeof(int32_t) * 512));
    if (!d->ta) return SDK_ERR_OUT_OF_MEMORY;
    for (int q = -128; q < 128; ++q) {
        d->ta[q + 128] = s8::mbqm((q - d->a_zp) * (1 << kLeftShift), d->ma.mult, d->ma.shift);
        d->ta[q + 384] = s8::mbqm((q - d->b_zp) * (1 << kLeftShift), d->mb.mult, d->mb.shift);
    }
#if SDK_FEATURE_X86
    d->avx2 = s8::gemm_kernel() == s8::gemm_avx2;
    d->p = s8::AddParams{d->a_zp,     d->b_zp,     d->out_zp,   d->act_min,  d->act_max,  kLeftShift,
                         d->ma.mult,  d->ma.shift, d->mb.mult,  d->mb.shift, d->mo.mult,  d->mo.shift,
                         s8::add_s8_zmm()};
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    d->neon = s8::gemm_kernel() != s8::gemm_ref && d->ma.shift <= 1 && d->mb.shift <= 1;  // (add_s8.h)
    d->pn = s8::AddNeon{d->a_zp,    d->b_zp,    d->out_zp,  d->act_min,  d->act_max,  kLeftShift,
                        d->ma.mult, d->ma.shift, d->mb.mult, d->mb.shift, d->mo.mult, d->mo.shift};
#endif
    return SDK_OK;
}

sdk_status add_s8_run(const RunContext& ctx) {
    const AddS8Data& d = *static_cast<const AddS8Data*>(ctx.op_data);
    Job j{&d, ctx.in<int8_t>(0), ctx.in<int8_t>(1), ctx.out<int8_t>(0)};
    parallel_for(ctx.pool, d.count, 16384, add_range, &j);
    return SDK_OK;
}

}  // namespace sdk
