// Gemm: Y = act(alpha * A' * B' + beta * C) with transA/transB, C broadcast to [M, N]
// and a fused activation. A constant B is packed once at load.
#include "core/op.h"
#include "ops/gemm_op.h"
#include "ops/sparse_op.h"
#if SDK_FEATURE_INT8
#include "kernels/ops_s8.h"  // int8 path (perf engineer)
#endif

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 2, 3, 2, 1);
    if (st != SDK_OK) return st;
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    const Tensor* c = ctx.input(2);
    if (a->shape.rank != 2 || b->shape.rank != 2)
        return ctx.fail(SDK_ERR_BAD_MODEL, "A '%s' and B '%s' must be 2-D (got rank %d and %d)", a->name, b->name,
                        a->shape.rank, b->shape.rank);
    int32_t ta = 0, tb = 0;
    float alpha = 1.0f, beta = 1.0f;
    ref::GemmF32Plan p = {};
    if ((st = opu::int_attr(ctx, "transA", 0, &ta)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "transB", 0, &tb)) != SDK_OK) return st;
    if ((st = opu::float_attr(ctx, "alpha", 1.0f, &alpha)) != SDK_OK) return st;
    if ((st = opu::float_attr(ctx, "beta", 1.0f, &beta)) != SDK_OK) return st;
    if ((st = opu::parse_activation(ctx, &p.act)) != SDK_OK) return st;
    if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1))
        return ctx.fail(SDK_ERR_BAD_MODEL, "transA/transB must be 0 or 1 (got %d, %d)", ta, tb);
    p.transA = ta;
    p.transB = tb;
    p.alpha = alpha;
    p.beta = beta;
    p.M = ta ? a->shape.dims[1] : a->shape.dims[0];
    p.K = ta ? a->shape.dims[0] : a->shape.dims[1];
    int32_t kb = tb ? b->shape.dims[1] : b->shape.dims[0];
    p.N = tb ? b->shape.dims[0] : b->shape.dims[1];
    if (kb != p.K)
        return ctx.fail(SDK_ERR_BAD_MODEL, "inner dimensions differ: A' is [%d,%d] but B' is [%d,%d] (check transA/transB)",
                        p.M, p.K, kb, p.N);
    if (c) {
        // unidirectional broadcast of C to [M, N]
        const Shape& s = c->shape;
        int32_t cr = 1, cc = 1;
        if (s.rank == 1) {
            cc = s.dims[0];
        } else if (s.rank == 2) {
            cr = s.dims[0];
            cc = s.dims[1];
        } else if (s.rank != 0) {
            return ctx.fail(SDK_ERR_BAD_MODEL, "C '%s' has rank %d; expected a scalar, [N] or [M, N]", c->name, s.rank);
        }
        if ((cr != 1 && cr != p.M) || (cc != 1 && cc != p.N))
            return ctx.fail(SDK_ERR_BAD_MODEL, "C '%s' of shape [%d,%d] does not broadcast to the output [%d,%d]",
                            c->name, cr, cc, p.M, p.N);
        p.has_c = beta != 0.0f;
        p.c_rs = cr == 1 ? 0 : p.N;
        p.c_cs = cc == 1 ? 0 : 1;
        if (cr != 1 && cc == 1) p.c_rs = 1;
    }
    Shape out;
    out.rank = 2;
    out.dims[0] = p.M;
    out.dims[1] = p.N;
    if ((st = ctx.check_output_shape(0, out)) != SDK_OK) return st;
#if SDK_FEATURE_SPARSE  // ---- sparse B (ops/sparse_op.h): Y' = B' A', C one value per output
    if (b->flags & kTensorSparse) {
        if (ta || alpha != 1.0f || (c && (beta != 1.0f || p.c_rs != 0 || p.c_cs != 1)))
            return ctx.fail(SDK_ERR_UNSUPPORTED,
                            "sparse B '%s' needs transA 0, alpha 1 and C absent or [N] with beta 1 (convert the "
                            "model again)", b->name);
        return sparse_op::prepare(ctx, b, p.N, p.K, p.M, 1, p.M, tb == 0, p.act);
    }
#endif
#if SDK_FEATURE_INT8  // ---- int8 path: kernels/ref/gemm_s8.cpp
    if (ctx.input(0)->dtype == DType::I8) return gemm_s8_prepare(ctx);
#endif
    return gemm_op::prepare_f32(ctx, p, b);
}

sdk_status run(const RunContext& ctx) {
#if SDK_FEATURE_SPARSE
    if (ctx.input(1).flags & kTensorSparse) return sparse_op::run(ctx, ctx.num_inputs > 2 ? ctx.in<float>(2) : nullptr);
#endif
#if SDK_FEATURE_INT8  // ---- int8 path: kernels/ref/gemm_s8.cpp
    if (ctx.input(0).dtype == DType::I8) return gemm_s8_run(ctx);
#endif
    return gemm_op::run_f32(ctx, ctx.num_inputs > 2 ? ctx.in<float>(2) : nullptr);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_gemm = {"Gemm", sdk::prepare, sdk::run, sdk::kOpNone};
