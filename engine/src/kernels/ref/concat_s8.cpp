// Int8 Concat: inputs whose quantization equals the output's are copied; the others are
// requantized, y = zp_y + mbqm(q - zp_x, s_x / s_y), through a 256-entry table per input
// built at prepare (an int8 input has 256 values: the same arithmetic, once per value).
#include <string.h>

#include "kernels/ops_s8.h"
#include "kernels/requant_s8.h"
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include "kernels/gemm_s8.h"
#include "kernels/neon/lut_s8.h"
#include "kernels/neon_s8.h"
#endif

namespace sdk {
namespace {

constexpr int kMaxInputs = 64;

struct ConcatS8Data {
    int32_t n;
    int64_t outer, out_inner;  // outer = product of dims before axis; out_inner = output block per outer
    int64_t inner[kMaxInputs]; // per input: elements per outer step
    bool same[kMaxInputs];
    int32_t zp[kMaxInputs], y_zp;
    const int8_t* lut[kMaxInputs];  // requantized value of each input byte (+128), where not `same`
    int32_t mult[kMaxInputs], shift[kMaxInputs];  // its multiplier s_x / s_y
    bool neon;                      // the NEON int8 tier: AArch64 16 lookups per step, ARMv7 arithmetic
};

#if SDK_FEATURE_NEON && defined(__ARM_NEON) && !defined(__aarch64__)
// ARMv7: the table's arithmetic itself, 16 bytes a step (VTBX over the table's 8 chunks was
// ~4 instructions a byte, this ~2): s8::mbqm on 32-bit lanes as neon_requant4 (kernels/neon_s8.h,
// equal after any int8 clamp for every shift), the zero point on int16 lanes after SQXTN and
// the int8 clamp by SQXTN (clamp(sat16(sat16(v) + zp)) = clamp(sat32(v + zp))).
int64_t requant_v7(const ConcatS8Data& d, int i, const int8_t* x, int8_t* y, int64_t n) {
    const s8::NeonShift t = s8::neon_shift(d.shift[i]);
    const int32x4_t l = vdupq_n_s32(t.l), r = vdupq_n_s32(t.r);
    const int32_t mu = d.mult[i];
    const int8x8_t z = vdup_n_s8((int8_t)d.zp[i]);
    const int16x8_t yz = vdupq_n_s16((int16_t)d.y_zp);
    int64_t e = 0;
    for (; e + 16 <= n; e += 16) {
        const int8x16_t v = vld1q_s8(x + e);
        const int16x8_t d0 = vsubl_s8(vget_low_s8(v), z), d1 = vsubl_s8(vget_high_s8(v), z);  // |.| <= 255
#define SDK_CAT_RQ(h) vqmovn_s32(vrshlq_s32(vqdmulhq_n_s32(vqshlq_s32(vmovl_s16(h), l), mu), r))
        const int16x8_t o0 = vqaddq_s16(vcombine_s16(SDK_CAT_RQ(vget_low_s16(d0)), SDK_CAT_RQ(vget_high_s16(d0))), yz);
        const int16x8_t o1 = vqaddq_s16(vcombine_s16(SDK_CAT_RQ(vget_low_s16(d1)), SDK_CAT_RQ(vget_high_s16(d1))), yz);
#undef SDK_CAT_RQ
        vst1q_s8(y + e, vcombine_s8(vqmovn_s16(o0), vqmovn_s16(o1)));
    }
    return e;
}
#endif

// y[e] = lut[x[e] + 128] for e in [0, n) (input i)
void lookup(const ConcatS8Data& d, int i, const int8_t* x, int8_t* y, int64_t n) {
    const int8_t* lut = d.lut[i];
    int64_t e = 0;
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#if defined(__aarch64__)
    if (d.neon) e = s8::lut256_neon(lut, x, y, n);
#else
    if (d.neon) e = requant_v7(d, i, x, y, n);
#endif
#endif
    lut += 128;
    for (; e < n; ++e) y[e] = lut[x[e]];
}

}  // namespace

sdk_status concat_s8_prepare(PrepareContext& ctx) {
    const Tensor* y = ctx.output(0);
    const int n = ctx.num_inputs();
    if (n < 1 || n > kMaxInputs) return ctx.fail(SDK_ERR_UNSUPPORTED, "int8 Concat supports 1..%d inputs", kMaxInputs);
    ConcatS8Data* d = static_cast<ConcatS8Data*>(ctx.alloc(sizeof(ConcatS8Data)));
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    ctx.set_op_data(d);
    float ys = 1.0f;
    sdk_status st = s8::tensor_qp(ctx, y, &ys, &d->y_zp);
    if (st != SDK_OK) return st;
    int32_t axis = ctx.attr_int("axis", 0);
    const int rank = y->shape.rank;
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return ctx.fail(SDK_ERR_BAD_MODEL, "axis out of range for rank %d", rank);
    d->n = n;
    d->outer = 1;
    for (int i = 0; i < axis; ++i) d->outer *= y->shape.dims[i];
    d->out_inner = d->outer ? y->shape.count() / d->outer : 0;
    int64_t total = 0;
    for (int i = 0; i < n; ++i) {
        const Tensor* x = ctx.input(i);
        float xs = 1.0f;
        if (!x) return ctx.fail(SDK_ERR_BAD_MODEL, "input %d is absent", i);
        if ((st = s8::tensor_qp(ctx, x, &xs, &d->zp[i])) != SDK_OK) return st;
        if (x->shape.rank != rank) return ctx.fail(SDK_ERR_BAD_MODEL, "input %d has rank %d, not %d", i, x->shape.rank, rank);
        d->inner[i] = d->outer ? x->shape.count() / d->outer : 0;
        total += d->inner[i];
        d->same[i] = xs == ys && d->zp[i] == d->y_zp;
        d->lut[i] = nullptr;
        if (d->same[i]) continue;
        int8_t* lut = static_cast<int8_t*>(ctx.alloc(256));
        if (!lut) return SDK_ERR_OUT_OF_MEMORY;
        const s8::Mult m = s8::quantize_multiplier((double)xs / (double)ys);
        d->mult[i] = m.mult;
        d->shift[i] = m.shift;
        for (int q = -128; q < 128; ++q) {
            const int64_t v = (int64_t)s8::mbqm(q - d->zp[i], m.mult, m.shift) + d->y_zp;
            lut[q + 128] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
        }
        d->lut[i] = lut;
    }
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    d->neon = s8::gemm_kernel() != s8::gemm_ref;
#else
    d->neon = false;
#endif
    if (total != d->out_inner) return ctx.fail(SDK_ERR_BAD_MODEL, "input sizes do not add up to the output");
    return SDK_OK;
}

sdk_status concat_s8_run(const RunContext& ctx) {
    const ConcatS8Data& d = *static_cast<const ConcatS8Data*>(ctx.op_data);
    int8_t* y = ctx.out<int8_t>(0);
    for (int64_t o = 0; o < d.outer; ++o) {
        int8_t* dst = y + o * d.out_inner;
        for (int i = 0; i < d.n; ++i) {
            const int8_t* src = ctx.in<int8_t>(i) + o * d.inner[i];
            if (d.same[i]) {
                memcpy(dst, src, (size_t)d.inner[i]);
            } else {
                lookup(d, i, src, dst, d.inner[i]);
            }
            dst += d.inner[i];
        }
    }
    return SDK_OK;
}

}  // namespace sdk
