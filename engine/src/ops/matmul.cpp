// MatMul of two 2-D tensors: Y[M, N] = A[M, K] * B[K, N]. Uses the Gemm kernels; a
// constant B is packed once at load.
// sdk-kernels: gemm
#include "core/op.h"
#include "ops/gemm_op.h"

namespace sdk {
namespace {

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 2, 2, 2, 1);
    if (st != SDK_OK) return st;
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    if (a->shape.rank != 2 || b->shape.rank != 2)
        return ctx.fail(SDK_ERR_UNSUPPORTED,
                        "only 2-D MatMul is supported; A '%s' has rank %d and B '%s' rank %d (the converter should "
                        "flatten batched MatMul)",
                        a->name, a->shape.rank, b->name, b->shape.rank);
    ref::GemmF32Plan p = {};
    p.M = a->shape.dims[0];
    p.K = a->shape.dims[1];
    p.N = b->shape.dims[1];
    p.alpha = 1.0f;
    if (b->shape.dims[0] != p.K)
        return ctx.fail(SDK_ERR_BAD_MODEL, "inner dimensions differ: A '%s' is [%d,%d] but B '%s' is [%d,%d]", a->name,
                        p.M, p.K, b->name, b->shape.dims[0], p.N);
    if ((st = opu::parse_activation(ctx, &p.act)) != SDK_OK) return st;
    Shape out;
    out.rank = 2;
    out.dims[0] = p.M;
    out.dims[1] = p.N;
    if ((st = ctx.check_output_shape(0, out)) != SDK_OK) return st;
    return gemm_op::prepare_f32(ctx, p, b);
}

sdk_status run(const RunContext& ctx) {
    return gemm_op::run_f32(ctx, nullptr);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_matmul = {"MatMul", sdk::prepare, sdk::run, sdk::kOpNone};
