// MatMul with numpy semantics for ranks 2..6: Y[..., M, N] = A[..., M, K] * B[..., K, N],
// the batch axes broadcast (the converter turns 1-D operands into 2-D with a Reshape).
// Both operands may be computed. Uses the packed GEMM kernels (kernels/ref/sgemm_f32.h and
// the x86/NEON tiles behind sgemm_packed):
//   - one batch, or any A batches times a 2-D B: one GEMM over all rows of A (a constant B
//     is packed once at load), split over column panels for the thread pool;
//   - several batches: a constant B is packed per batch at load; a computed B is packed per
//     batch into a per-thread panel buffer; batches are split over the thread pool when
//     there are enough of them, else each batch's GEMM is.
// sdk-kernels: gemm
#include "core/op.h"
#include "kernels/ref/sgemm_f32.h"
#include "ops/gemm_op.h"
#include "ops/sparse_op.h"

namespace sdk {
namespace {

struct Batched {
    int32_t M, N, K;
    int32_t brank;               // batch axes of the output
    int32_t bdims[kMaxRank];     // output batch dims
    int64_t astr[kMaxRank];      // per batch axis: A's stride in matrices (0 = broadcast)
    int64_t bstr[kMaxRank];
    int64_t nbatch;              // product of bdims
    int64_t panel_floats;        // packed B of one batch: ceil(N/8)*8*K floats
    const float* packed;         // constant B: packed per B batch; nullptr = pack per run
    ref::ActParams act;
};

// Batch shape of a tensor viewed with `r` batch axes (leading 1s added).
void batch_dims(const Tensor* t, int r, int32_t* out) {
    int tb = t->shape.rank - 2;
    for (int i = 0; i < r; ++i) out[i] = i < r - tb ? 1 : t->shape.dims[i - (r - tb)];
}

sdk_status prepare_batched(PrepareContext& ctx, const Tensor* a, const Tensor* b, int32_t M, int32_t K, int32_t N,
                           const ref::ActParams& act) {
    sdk_status st = opu::require_f32(ctx);
    if (st != SDK_OK) return st;
    int r = a->shape.rank > b->shape.rank ? a->shape.rank - 2 : b->shape.rank - 2;
    int32_t ad[kMaxRank], bd[kMaxRank];
    batch_dims(a, r, ad);
    batch_dims(b, r, bd);
    Batched p = {};
    p.M = M;
    p.N = N;
    p.K = K;
    p.brank = r;
    p.act = act;
    p.nbatch = 1;
    Shape out;
    out.rank = r + 2;
    for (int i = 0; i < r; ++i) {
        if (ad[i] != bd[i] && ad[i] != 1 && bd[i] != 1) {
            char sa[80], sb[80];
            return ctx.fail(SDK_ERR_BAD_MODEL, "batch axes of A '%s' %s and B '%s' %s do not broadcast", a->name,
                            shape_str(a->shape, sa, sizeof sa), b->name, shape_str(b->shape, sb, sizeof sb));
        }
        p.bdims[i] = ad[i] > bd[i] ? ad[i] : bd[i];
        out.dims[i] = p.bdims[i];
        p.nbatch *= p.bdims[i];
    }
    out.dims[r] = M;
    out.dims[r + 1] = N;
    if ((st = ctx.check_output_shape(0, out)) != SDK_OK) return st;
    int64_t sa = 1, sb = 1;
    for (int i = r - 1; i >= 0; --i) {
        p.astr[i] = ad[i] == 1 ? 0 : sa;
        p.bstr[i] = bd[i] == 1 ? 0 : sb;
        sa *= ad[i];
        sb *= bd[i];
    }
    p.panel_floats = (int64_t)(N + ref::kNR - 1) / ref::kNR * ref::kNR * K;
    Batched* d = opu::alloc_op_data<Batched>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    *d = p;
    if ((b->flags & kTensorConstant) && b->const_data) {
        float* packed = static_cast<float*>(ctx.alloc((size_t)(sb * p.panel_floats) * sizeof(float)));
        if (!packed) return SDK_ERR_OUT_OF_MEMORY;
        const float* src = static_cast<const float*>(b->const_data);
        for (int64_t i = 0; i < sb; ++i)
            ref::sgemm_pack_b(src + i * K * N, N, 1, K, 0, N, packed + i * p.panel_floats);
        d->packed = packed;
    } else {
        ctx.request_scratch((size_t)p.panel_floats * sizeof(float));
        ctx.request_thread_scratch((size_t)p.panel_floats * sizeof(float));
    }
    return SDK_OK;
}

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 2, 2, 2, 1);
    if (st != SDK_OK) return st;
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    if (a->shape.rank < 2 || b->shape.rank < 2)
        return ctx.fail(SDK_ERR_UNSUPPORTED,
                        "A '%s' has rank %d and B '%s' rank %d; the engine's MatMul takes ranks 2 to %d (the converter "
                        "reshapes 1-D operands)",
                        a->name, a->shape.rank, b->name, b->shape.rank, kMaxRank);
    int32_t M = a->shape.dims[a->shape.rank - 2], K = a->shape.dims[a->shape.rank - 1];
    int32_t kb = b->shape.dims[b->shape.rank - 2], N = b->shape.dims[b->shape.rank - 1];
    if (kb != K) {
        char sa[80], sb[80];
        return ctx.fail(SDK_ERR_BAD_MODEL, "inner dimensions differ: A '%s' is %s but B '%s' is %s", a->name,
                        shape_str(a->shape, sa, sizeof sa), b->name, shape_str(b->shape, sb, sizeof sb));
    }
    ref::ActParams act;
    if ((st = opu::parse_activation(ctx, &act)) != SDK_OK) return st;
#if SDK_FEATURE_SPARSE
    if ((b->flags & kTensorSparse) && b->shape.rank != 2)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "sparse B '%s' must be 2-D (convert the model again)", b->name);
#endif
    if (b->shape.rank == 2) {  // A's batches are just more rows
        Shape out = a->shape;
        out.dims[out.rank - 1] = N;
        if ((st = ctx.check_output_shape(0, out)) != SDK_OK) return st;
        int64_t rows = a->shape.count() / (K ? K : 1);
        if (K == 0) rows = out.count() / (N ? N : 1);
        if (rows > 0x7fffffff) return ctx.fail(SDK_ERR_UNSUPPORTED, "A '%s' has too many rows", a->name);
        ref::GemmF32Plan p = {};
        p.M = (int32_t)rows;
        p.K = K;
        p.N = N;
        p.alpha = 1.0f;
        p.act = act;
#if SDK_FEATURE_SPARSE  // ---- sparse B (ops/sparse_op.h), stored transposed: Y' = B' A'
        if (b->flags & kTensorSparse) return sparse_op::prepare(ctx, b, N, K, p.M, 1, p.M, true, act);
#endif
        return gemm_op::prepare_f32(ctx, p, b);
    }
    return prepare_batched(ctx, a, b, M, K, N, act);
}

struct Job {
    const Batched* p;
    const float *a, *b;
    float* y;
    const RunContext* ctx;
    ref::GemmEpilogue e;
};

// Offsets (in matrices) of batch i's A and B.
inline void offsets(const Batched& p, int64_t i, int64_t* ao, int64_t* bo) {
    int64_t a = 0, b = 0;
    for (int ax = p.brank - 1; ax >= 0; --ax) {
        int64_t c = i % p.bdims[ax];
        i /= p.bdims[ax];
        a += c * p.astr[ax];
        b += c * p.bstr[ax];
    }
    *ao = a;
    *bo = b;
}

const float* panels(const Job& j, int64_t bo, float* buf) {
    const Batched& p = *j.p;
    if (p.packed) return p.packed + bo * p.panel_floats;
    ref::sgemm_pack_b(j.b + bo * p.K * p.N, p.N, 1, p.K, 0, p.N, buf);
    return buf;
}

void batch_range(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const Batched& p = *j.p;
    float* buf = static_cast<float*>(j.ctx->thread_scratch());
    for (int64_t i = begin; i < end; ++i) {
        int64_t ao, bo;
        offsets(p, i, &ao, &bo);
        const float* bp = panels(j, bo, buf);
        ref::sgemm_packed(p.M, p.N, p.K, j.a + ao * p.M * p.K, p.K, 1, bp, j.y + i * p.M * p.N, p.N, j.e);
    }
}

sdk_status run(const RunContext& ctx) {
#if SDK_FEATURE_SPARSE
    if (ctx.input(1).flags & kTensorSparse) return sparse_op::run(ctx, nullptr);
#endif
    if (ctx.input(1).shape.rank == 2) return gemm_op::run_f32(ctx, nullptr);
#if SDK_FEATURE_FP32
    Job j;
    j.p = static_cast<const Batched*>(ctx.op_data);
    j.a = ctx.in<float>(0);
    j.b = ctx.in<float>(1);
    j.y = ctx.out<float>(0);
    j.ctx = &ctx;
    j.e.act = j.p->act;
    const Batched& p = *j.p;
    if (p.M == 0 || p.N == 0 || p.nbatch == 0) return SDK_OK;
    if (p.K == 0) {
        for (int64_t i = 0; i < p.nbatch * p.M * p.N; ++i) j.y[i] = ref::act_f32(0.0f, p.act);
        return SDK_OK;
    }
    const int threads = pool_threads(ctx.pool);
    if (p.nbatch >= 2 * threads || threads <= 1) {
        int64_t work = (int64_t)p.M * p.N * p.K;
        int64_t grain = work > 0 ? (1 << 16) / work : 1;
        parallel_for(ctx.pool, p.nbatch, grain < 1 ? 1 : grain, batch_range, &j);
        return SDK_OK;
    }
    // few large batches: one GEMM after the other, each split over column panels
    float* buf = static_cast<float*>(ctx.scratch);
    for (int64_t i = 0; i < p.nbatch; ++i) {
        int64_t ao, bo;
        offsets(p, i, &ao, &bo);
        ref::SgemmJob s;
        s.M = p.M;
        s.N = p.N;
        s.K = p.K;
        s.A = j.a + ao * p.M * p.K;
        s.ars = p.K;
        s.acs = 1;
        s.Bp = panels(j, bo, buf);
        s.C = j.y + i * p.M * p.N;
        s.ldc = p.N;
        s.epi = &j.e;
        ref::sgemm_parallel(ctx.pool, s);
    }
    return SDK_OK;
#else
    return SDK_ERR_UNSUPPORTED;
#endif
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_matmul = {"MatMul", sdk::prepare, sdk::run, sdk::kOpNone};
