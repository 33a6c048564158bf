// Int8 Gemm: Y[M, N] = A[M, K] * B[N, K]^T + C with per-output-channel (N) weights, as
// quantize.py writes it (transB = 1, alpha/beta folded). B is packed at load; A's rows
// are copied into K-padded columns per run and the int8 GEMM core computes Y^T's tiles.
#include <string.h>

#include "kernels/acc_s8.h"
#include "kernels/gemm_s8.h"
#include "kernels/ops_s8.h"

namespace sdk {
namespace {

struct GemmS8Data {
    int32_t M, N, K, kp, a_zp, out_zp, act_min, act_max;
    int8_t* w;  // [N][kp]
    int32_t* bias;
    int32_t* mult;
    int32_t* shift;
    s8::GemmKernel kernel;
};

struct Job {
    s8::Gemm G;
    s8::GemmKernel kernel;
};

void rows(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    j.kernel(j.G, (int32_t)begin, (int32_t)end, 0, j.G.N);
}

}  // namespace

sdk_status gemm_s8_prepare(PrepareContext& ctx) {
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    const Tensor* c = ctx.input(2);
    const Tensor* y = ctx.output(0);
    if (ctx.attr_int("transA", 0) != 0 || ctx.attr_int("transB", 0) != 1 || ctx.attr_float("alpha", 1.0f) != 1.0f ||
        ctx.attr_float("beta", 1.0f) != 1.0f)
        return ctx.fail(SDK_ERR_UNSUPPORTED,
                        "int8 Gemm needs transA=0, transB=1, alpha=beta=1 (as sdkbuild's quantizer writes it)");
    float as = 1.0f, ys = 1.0f;
    int32_t az = 0, yz = 0;
    sdk_status st = s8::tensor_qp(ctx, a, &as, &az);
    if (st == SDK_OK) st = s8::tensor_qp(ctx, y, &ys, &yz);
    if (st != SDK_OK) return st;
    const int32_t M = a->shape.dims[0], K = a->shape.dims[1], N = b->shape.dims[0];
    if (a->shape.rank != 2 || b->shape.rank != 2 || b->shape.dims[1] != K || y->shape.dims[0] != M ||
        y->shape.dims[1] != N)
        return ctx.fail(SDK_ERR_BAD_MODEL, "int8 Gemm needs A [M, K], B [N, K] and Y [M, N]");
    if (K > 65536)  // 255 * 127 * K must stay inside the int32 accumulator
        return ctx.fail(SDK_ERR_UNSUPPORTED, "int8 Gemm reduces over %d values; at most 65536 fit int32", K);
    if (b->dtype != DType::I8 || !(b->flags & kTensorConstant) || !b->const_data || !b->quant)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "int8 Gemm needs constant quantized int8 weights B ('%s')", b->name);
    const QuantParams& bq = *b->quant;
    const bool per_channel = bq.axis == 0 && bq.count == (uint32_t)N;
    if (!per_channel && !(bq.axis == -1 && bq.count == 1))
        return ctx.fail(SDK_ERR_BAD_MODEL, "weights '%s' need per-tensor or axis-0 quantization", b->name);
    for (uint32_t i = 0; i < bq.count; ++i)
        if (bq.zero_points[i] != 0 || !(bq.scales[i] > 0.0f))
            return ctx.fail(SDK_ERR_BAD_MODEL, "weights '%s' must be symmetric (zero point 0)", b->name);
    if (c && (c->dtype != DType::I32 || !(c->flags & kTensorConstant) || c->shape.count() != N))
        return ctx.fail(SDK_ERR_UNSUPPORTED, "int8 Gemm needs a constant int32 bias C of %d values ('%s')", N, c->name);
    bool minus_128 = false;
    st = s8::check_accumulators(ctx, b, static_cast<const int8_t*>(b->const_data),
                                c ? static_cast<const int32_t*>(c->const_data) : nullptr, N, K, &minus_128);
    if (st != SDK_OK) return st;
    GemmS8Data* d = static_cast<GemmS8Data*>(ctx.alloc(sizeof(GemmS8Data)));
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    ctx.set_op_data(d);
    d->M = M;
    d->N = N;
    d->K = K;
    d->kp = s8::round_up_k(K);
    d->a_zp = az;
    d->out_zp = yz;
    if ((st = s8::read_clamp(ctx, ys, yz, &d->act_min, &d->act_max)) != SDK_OK) return st;
    d->w = static_cast<int8_t*>(ctx.alloc((size_t)N * d->kp));
    d->bias = static_cast<int32_t*>(ctx.alloc(sizeof(int32_t) * N));
    d->mult = static_cast<int32_t*>(ctx.alloc(sizeof(int32_t) * N));
    d->shift = static_cast<int32_t*>(ctx.alloc(sizeof(int32_t) * N));
    if (!d->w || !d->bias || !d->mult || !d->shift) return SDK_ERR_OUT_OF_MEMORY;
    s8::gemm_pack(static_cast<const int8_t*>(b->const_data), N, K, d->kp,
                  c ? static_cast<const int32_t*>(c->const_data) : nullptr, az, d->w, d->bias);
    for (int32_t n = 0; n < N; ++n) {
        const s8::Mult m = s8::conv_multiplier(as, bq.scales[per_channel ? n : 0], ys);
        d->mult[n] = m.mult;
        d->shift[n] = m.shift;
    }
    d->kernel = s8::kernel_for_weights(s8::gemm_kernel(), minus_128);
    ctx.request_scratch((size_t)M * d->kp);
    return SDK_OK;
}

sdk_status gemm_s8_run(const RunContext& ctx) {
    const GemmS8Data& d = *static_cast<const GemmS8Data*>(ctx.op_data);
    int8_t* cols = static_cast<int8_t*>(ctx.scratch);
    const int8_t* a = ctx.in<int8_t>(0);
    for (int32_t m = 0; m < d.M; ++m) {
        memcpy(cols + (int64_t)m * d.kp, a + (int64_t)m * d.K, (size_t)d.K);
        memset(cols + (int64_t)m * d.kp + d.K, 0, (size_t)(d.kp - d.K));
    }
    Job j;
    j.kernel = d.kernel;
    s8::Gemm& G = j.G;
    G.M = d.N;  // rows of the core = output channels
    G.N = d.M;  // columns = rows of A
    G.kp = d.kp;
    G.w = d.w;
    G.x = cols;
    G.bias = d.bias;
    G.mult = d.mult;
    G.shift = d.shift;
    G.out_zp = d.out_zp;
    G.act_min = d.act_min;
    G.act_max = d.act_max;
    G.y = ctx.out<int8_t>(0);
    G.ys_m = 1;
    G.ys_n = d.N;
    const int64_t macs_per_row = (int64_t)d.kp * d.M;
    parallel_for(ctx.pool, d.N, macs_per_row > 65536 ? 4 : 65536 / macs_per_row * 4 + 4, rows, &j);
    return SDK_OK;
}

}  // namespace sdk
