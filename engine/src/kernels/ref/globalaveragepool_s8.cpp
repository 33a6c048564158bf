// Int8 GlobalAveragePool with its own output quantization: per plane
// y = zp_y + mbqm(sum(q) - count * zp_x, s_x / (count * s_y)).
#include "kernels/ops_s8.h"
#include "kernels/requant_s8.h"
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include "kernels/gemm_s8.h"  // s8::gemm_kernel(): the int8 tier
#include "kernels/neon/sum_neon.h"
#endif
#if SDK_FEATURE_X86
#include "kernels/gemm_s8.h"  // s8::gemm_kernel(): the int8 tier
#endif

namespace sdk {
#if SDK_FEATURE_X86
namespace s8 {
int32_t sum_s8_avx2(const int8_t* x, int32_t n);  // kernels/x86/globalaveragepool_s8.cpp
}  // namespace s8
#endif
namespace {

struct GapS8Data {
    int64_t planes;
    int32_t count, x_zp, y_zp;
    s8::Mult m;
    bool neon;  // the NEON sum (kernels/neon/globalaveragepool_s8.cpp)
    bool x86;   // the AVX2 sum (kernels/x86/globalaveragepool_s8.cpp)
};

struct Job {
    const GapS8Data* d;
    const int8_t* x;
    int8_t* y;
};

void planes(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const GapS8Data& d = *j.d;
    for (int64_t t = begin; t < end; ++t) {
        const int8_t* xc = j.x + t * d.count;
        int32_t sum = 0;
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
        if (d.neon)
            sum = s8::neon_sum_s8(xc, d.count);
        else
#endif
#if SDK_FEATURE_X86
        if (d.x86)
            sum = s8::sum_s8_avx2(xc, d.count);
        else
#endif
            for (int32_t i = 0; i < d.count; ++i) sum += xc[i];
        const int64_t v = (int64_t)s8::mbqm(sum - d.count * d.x_zp, d.m.mult, d.m.shift) + d.y_zp;
        j.y[t] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
    }
}

}  // namespace

sdk_status globalaveragepool_s8_prepare(PrepareContext& ctx) {
    const Tensor* x = ctx.input(0);
    const Tensor* y = ctx.output(0);
    if (x->shape.rank < 3)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "int8 GlobalAveragePool needs an [N, C, spatial...] input");
    GapS8Data* d = static_cast<GapS8Data*>(ctx.alloc(sizeof(GapS8Data)));
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    ctx.set_op_data(d);
    float xs = 1.0f, ys = 1.0f;
    sdk_status st = s8::tensor_qp(ctx, x, &xs, &d->x_zp);
    if (st == SDK_OK) st = s8::tensor_qp(ctx, y, &ys, &d->y_zp);
    if (st != SDK_OK) return st;
    d->planes = (int64_t)x->shape.dims[0] * x->shape.dims[1];
    const int64_t count = x->shape.count() / (d->planes ? d->planes : 1);
    if (count > (1 << 23))
        return ctx.fail(SDK_ERR_UNSUPPORTED, "int8 GlobalAveragePool over %lld values would overflow int32",
                        (long long)count);
    d->count = (int32_t)count;
    d->m = s8::quantize_multiplier((double)xs / ((double)d->count * (double)ys));
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    d->neon = s8::gemm_kernel() != s8::gemm_ref;
#endif
#if SDK_FEATURE_X86
    d->x86 = s8::gemm_kernel() == s8::gemm_avx2;
#endif
    return SDK_OK;
}

sdk_status globalaveragepool_s8_run(const RunContext& ctx) {
    const GapS8Data& d = *static_cast<const GapS8Data*>(ctx.op_data);
    Job j{&d, ctx.in<int8_t>(0), ctx.out<int8_t>(0)};
    parallel_for(ctx.pool, d.planes, d.count > 4096 ? 1 : 4096 / d.count + 1, planes, &j);
    return SDK_OK;
}

}  // namespace sdk
