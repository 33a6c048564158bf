// MatMulInteger: Y (i32) = (A - a_zero_point) x (B - b_zero_point), A and B i8 or u8, exact
// int32 accumulation. A [..., M, K] x B [K, N] (A's batch axes are more rows) or B [..., K, N] with
// A's batch axes; a_zero_point a scalar or one per row (M), b_zero_point a scalar or one per column (N).
// Kernel: an int32 loop per row (vectorized per B dtype), rows split over the thread pool.
#include "core/op.h"
#include "ops/qparams_op.h"

namespace sdk {
namespace {

struct Data {
    int64_t rows, m, k, n;
    bool b_batched;  // B has A's batch axes
    DType at, bt;
    bool a_rows, b_cols;  // per-row / per-column zero points
};

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 2, 4, 2, 1);
    if (st != SDK_OK) return st;
    const Tensor& a = *ctx.input(0);
    const Tensor& b = *ctx.input(1);
    const Tensor* az = ctx.input(2);
    const Tensor* bz = ctx.input(3);
    if ((a.dtype != DType::I8 && a.dtype != DType::U8) || (b.dtype != DType::I8 && b.dtype != DType::U8))
        return ctx.fail(SDK_ERR_UNSUPPORTED, "A and B must be i8 or u8 (got %s, %s)", dtype_name(a.dtype),
                        dtype_name(b.dtype));
    if ((az && az->dtype != a.dtype) || (bz && bz->dtype != b.dtype))
        return ctx.fail(SDK_ERR_BAD_MODEL, "zero points must have their operand's dtype");
    if (a.shape.rank < 2 || b.shape.rank < 2)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "A and B must have rank >= 2 (the converter reshapes 1-D operands)");
    Data d = {};
    d.m = a.shape.dims[a.shape.rank - 2];
    d.k = a.shape.dims[a.shape.rank - 1];
    d.n = b.shape.dims[b.shape.rank - 1];
    d.rows = a.shape.count() / (d.k ? d.k : 1);
    if (b.shape.dims[b.shape.rank - 2] != d.k) return ctx.fail(SDK_ERR_BAD_MODEL, "inner dimensions differ");
    if (b.shape.rank > 2) {
        bool same = b.shape.rank == a.shape.rank;
        for (int i = 0; same && i < a.shape.rank - 2; ++i) same = a.shape.dims[i] == b.shape.dims[i];
        if (!same)
            return ctx.fail(SDK_ERR_UNSUPPORTED, "a batched B must have A's batch axes (no broadcasting)");
        d.b_batched = true;
    }
    d.at = a.dtype;
    d.bt = b.dtype;
    if (az && az->shape.count() != 1) {
        if (az->shape.count() != d.m) return ctx.fail(SDK_ERR_UNSUPPORTED, "a_zero_point must have 1 or M values");
        d.a_rows = true;
    }
    if (bz && bz->shape.count() != 1) {
        if (bz->shape.count() != d.n) return ctx.fail(SDK_ERR_UNSUPPORTED, "b_zero_point must have 1 or N values");
        d.b_cols = true;
    }
    Shape out = a.shape;
    out.dims[out.rank - 1] = (int32_t)d.n;
    if (d.k == 0) d.rows = out.count() / (d.n ? d.n : 1);
    if ((st = ctx.check_output_shape(0, out)) != SDK_OK) return st;
    if (ctx.output(0)->dtype != DType::I32) return ctx.fail(SDK_ERR_BAD_MODEL, "output must be i32");
    Data* p = opu::alloc_op_data<Data>(ctx);
    if (!p) return SDK_ERR_OUT_OF_MEMORY;
    *p = d;
    ctx.request_thread_scratch((size_t)(d.k + d.n) * sizeof(int32_t));
    return SDK_OK;
}

struct Job {
    const Data* d;
    const RunContext* ctx;
};

// One row of Y: y[n] = sum_k (a[k] - za) * (B[k][n] - zb[n]), B's rows streamed (the compiler
// vectorizes the inner loop for each B dtype).
template <typename TB>
void row(const Data& d, const int32_t* arow, const TB* b, const int32_t* zb, int32_t* y) {
    for (int64_t n = 0; n < d.n; ++n) y[n] = 0;
    for (int64_t k = 0; k < d.k; ++k) {
        const int32_t av = arow[k];
        if (!av) continue;
        const TB* br = b + k * d.n;
        // int32 accumulation wraps past 2^31 as onnxruntime's does: done in uint32, where it is defined
        for (int64_t n = 0; n < d.n; ++n) y[n] = (int32_t)((uint32_t)y[n] + (uint32_t)(av * ((int32_t)br[n] - zb[n])));
    }
}

void rows(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const Data& d = *j.d;
    const RunContext& c = *j.ctx;
    const void* az = c.num_inputs > 2 ? c.in_data[2] : nullptr;
    const void* bz = c.num_inputs > 3 ? c.in_data[3] : nullptr;
    int32_t* y = c.out<int32_t>(0);
    // per-thread scratch: A's row minus its zero point, then B's zero point per column
    int32_t* arow = static_cast<int32_t*>(c.thread_scratch());
    int32_t* zb = arow + d.k;
    for (int64_t n = 0; n < d.n; ++n) zb[n] = bz ? qp::load_int(bz, d.bt, d.b_cols ? n : 0) : 0;
    for (int64_t r = begin; r < end; ++r) {
        const int32_t za = az ? qp::load_int(az, d.at, d.a_rows ? r % d.m : 0) : 0;
        for (int64_t k = 0; k < d.k; ++k) arow[k] = qp::load_int(c.in_data[0], d.at, r * d.k + k) - za;
        const int64_t boff = d.b_batched ? (r / (d.m ? d.m : 1)) * d.k * d.n : 0;
        if (d.bt == DType::U8) row(d, arow, c.in<uint8_t>(1) + boff, zb, y + r * d.n);
        else row(d, arow, c.in<int8_t>(1) + boff, zb, y + r * d.n);
    }
}

sdk_status run(const RunContext& ctx) {
    Job j{static_cast<const Data*>(ctx.op_data), &ctx};
    int64_t work = j.d->k * j.d->n;
    int64_t grain = work > 0 ? (1 << 15) / work : 1;
    parallel_for(ctx.pool, j.d->rows, grain < 1 ? 1 : grain, rows, &j);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_matmulinteger = {"MatMulInteger", sdk::prepare, sdk::run, sdk::kOpNone};
