// Sparse-stored weights (core/sparse.h) in Conv (1x1), Gemm and MatMul: the op checks its
// geometry, then this header builds the kernel's plan (kernels/ref/spmm.h) and runs it.
// Header-only, compiled only with SDK_FEATURE_SPARSE (the Meson option `sparse`).
#pragma once

#if SDK_FEATURE_SPARSE  // (defined only with fp32 kernels: engine/meson.build)
#include "core/op.h"
#include "core/sparse.h"
#include "kernels/ref/spmm.h"
#include "ops/op_util.h"

namespace sdk {
namespace sparse_op {

struct SparseData {
    ref::SpmmPlan s;
    int32_t images;  // Conv: N images of [K][P] -> [M][P]
    int32_t rows;    // Gemm/MatMul: A's rows R (P = R); 0 for Conv
};

// W (sparse, rows = the M outputs, columns = the K inputs) as the kernel's plan for X of
// [K][P]; `transposed`: the payload must store the tensor transposed (B as [K, N]).
inline sdk_status prepare(PrepareContext& ctx, const Tensor* w, int32_t M, int32_t K, int32_t P, int32_t images,
                          int32_t rows, bool transposed, const ref::ActParams& act) {
    sdk_status st = opu::require_f32(ctx);
    if (st != SDK_OK) return st;
    const SparseView v = sparse_view(w->const_data);
    if (((v.flags & kSparseTransposed) != 0) != transposed || v.rows != M || v.cols != K)
        return ctx.fail(SDK_ERR_BAD_MODEL, "sparse weights '%s' are stored as %d x %d%s; this op needs %d x %d%s",
                        w->name, v.rows, v.cols, (v.flags & kSparseTransposed) ? " (transposed)" : "", M, K,
                        transposed ? " (transposed)" : "");
    SparseData* d = opu::alloc_op_data<SparseData>(ctx);
    int32_t* xoff = static_cast<int32_t*>(ctx.alloc((size_t)(v.nnz ? v.nnz : 1) * sizeof(int32_t)));
    if (!d || !xoff) return SDK_ERR_OUT_OF_MEMORY;
    // < K * P: an element of X
    if (v.flags & kSparseIdx32)
        for (int32_t j = 0; j < v.nnz; ++j) xoff[j] = (int32_t) static_cast<const uint32_t*>(v.idx)[j] * P;
    else
        for (int32_t j = 0; j < v.nnz; ++j) xoff[j] = (int32_t) static_cast<const uint16_t*>(v.idx)[j] * P;
    d->s.M = M;
    d->s.K = K;
    d->s.P = P;
    d->s.row_ptr = v.row_ptr;
    d->s.xoff = xoff;
    d->s.values = v.values;
    d->s.act = act;
    d->images = images;
    d->rows = rows;
    if (rows > 1) ctx.request_scratch(((size_t)K + (size_t)M) * (size_t)rows * sizeof(float));  // A' and Y'
    return SDK_OK;
}

// Conv: per image. Gemm/MatMul: one row of A is X itself (P = 1); more rows go through
// their transposes in scratch. `bias`: per output (M), or nullptr.
inline sdk_status run(const RunContext& ctx, const float* bias) {
    const SparseData& d = *static_cast<const SparseData*>(ctx.op_data);
    const ref::SpmmPlan& s = d.s;
    const float* x = ctx.in<float>(0);
    float* y = ctx.out<float>(0);
    if (d.rows > 1) {
        const int64_t R = d.rows, K = s.K, M = s.M;
        float* xt = static_cast<float*>(ctx.scratch);
        float* yt = xt + K * R;
        for (int64_t r = 0; r < R; ++r)
            for (int64_t k = 0; k < K; ++k) xt[k * R + r] = x[r * K + k];
        ref::spmm_f32(s, xt, bias, yt, ctx.pool);
        for (int64_t m = 0; m < M; ++m)
            for (int64_t r = 0; r < R; ++r) y[r * M + m] = yt[m * R + r];
        return SDK_OK;
    }
    const int64_t xs = (int64_t)s.K * s.P, ys = (int64_t)s.M * s.P;
    for (int32_t n = 0; n < (d.rows ? 1 : d.images); ++n) ref::spmm_f32(s, x + n * xs, bias, y + n * ys, ctx.pool);
    return SDK_OK;
}

}  // namespace sparse_op
}  // namespace sdk
#endif
