// Int8 Mul with broadcasting (TFLite's scheme): y = zy + M * (a - za) * (b - zb) with the
// real multiplier M = sa * sb / sy applied to the int32 product in one rounding
// (kernels/requant_s8.h), saturated to int8. Bit-exact with quantize.simulate().
#include "kernels/ref/mul_s8.h"

#include "kernels/ops_s8.h"
#include "kernels/ref/binary.h"
#include "kernels/requant_s8.h"
#if (SDK_FEATURE_NEON && defined(__ARM_NEON)) || SDK_FEATURE_X86
#include "kernels/gemm_s8.h"
#endif

namespace sdk {
namespace {

using s8::MulS8Params;

inline int8_t mul1(int32_t a, int32_t b, const MulS8Params& p) {
    return s8::clamp_s8(s8::mbqm((a - p.a_zp) * (b - p.b_zp), p.m.mult, p.m.shift) + p.out_zp, -128, 127);
}

void row(const void* const* in, const uint8_t* unit, void* out, int64_t n, const void* params) {
    const MulS8Params& p = *static_cast<const MulS8Params*>(params);
    const int8_t* a = static_cast<const int8_t*>(in[0]);
    const int8_t* b = static_cast<const int8_t*>(in[1]);
    int8_t* y = static_cast<int8_t*>(out);
    if (unit[0] && unit[1]) {
        for (int64_t i = 0; i < n; ++i) y[i] = mul1(a[i], b[i], p);
    } else if (unit[0]) {
        for (int64_t i = 0; i < n; ++i) y[i] = mul1(a[i], b[0], p);
    } else {
        for (int64_t i = 0; i < n; ++i) y[i] = mul1(a[0], b[i], p);
    }
}

}  // namespace

sdk_status mul_s8_prepare(PrepareContext& ctx, RowFn* fn, const void** params) {
    MulS8Params* p = static_cast<MulS8Params*>(ctx.alloc(sizeof(MulS8Params)));
    if (!p) return SDK_ERR_OUT_OF_MEMORY;
    float as = 1.0f, bs = 1.0f, ys = 1.0f;
    sdk_status st = s8::tensor_qp(ctx, ctx.input(0), &as, &p->a_zp);
    if (st == SDK_OK) st = s8::tensor_qp(ctx, ctx.input(1), &bs, &p->b_zp);
    if (st == SDK_OK) st = s8::tensor_qp(ctx, ctx.output(0), &ys, &p->out_zp);
    if (st != SDK_OK) return st;
    if (ctx.attr_int("activation", kActNone) != kActNone)
        return ctx.fail(SDK_ERR_BAD_MODEL, "int8 Mul takes no fused activation");
    // in double from the float32 scales, in this order (as quantize.py)
    p->m = s8::quantize_multiplier(static_cast<double>(as) * static_cast<double>(bs) / static_cast<double>(ys));
    *fn = row;
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    if (s8::gemm_kernel() != s8::gemm_ref) *fn = s8::mul_row_neon;  // SDK_INT8_GEMM=ref: the portable row
#endif
#if SDK_FEATURE_X86
    if (s8::gemm_kernel() == s8::gemm_avx2) *fn = s8::mul_row_avx2;  // (=ref, =sse41: the portable row)
#endif
    *params = p;
    return SDK_OK;
}

}  // namespace sdk
