// Reference fp32 Gemm: packs B into column panels (at load when constant), then the
// register-tiled GEMM of sgemm_f32.h, split over panels for the thread pool.
#include "kernels/ref/gemm.h"

#include "kernels/ref/sgemm_f32.h"

namespace sdk {
namespace ref {

size_t gemm_f32_packed_b_bytes(const GemmF32Plan& p) {
    size_t cols = (size_t)(p.N + kNR - 1) / kNR * kNR;
    return cols * (size_t)p.K * sizeof(float);
}

void gemm_f32_pack_b(const GemmF32Plan& p, const float* b, float* out) {
    // element (k, n) of B' = transB ? B[n][k] : B[k][n]
    int64_t rs = p.transB ? 1 : p.N, cs = p.transB ? p.K : 1;
    sgemm_pack_b(b, rs, cs, p.K, 0, p.N, out);
}

void gemm_f32(const GemmF32Plan& p, const float* a, const float* b, const float* c, float* y, float* scratch,
              ThreadPool* pool) {
    GemmEpilogue e;
    e.alpha = p.alpha;
    e.act = p.act;
    if (p.has_c && c) {
        for (int64_t m = 0; m < p.M; ++m) {
            float* row = y + m * p.N;
            const float* crow = c + m * p.c_rs;
            for (int64_t n = 0; n < p.N; ++n) row[n] = p.beta * crow[n * p.c_cs];
        }
        e.accumulate = true;
    }
    const float* bp = p.packed_b;
    if (!bp) {
        gemm_f32_pack_b(p, b, scratch);
        bp = scratch;
    }
    SgemmJob j;
    j.M = p.M;
    j.N = p.N;
    j.K = p.K;
    j.A = a;
    j.ars = p.transA ? 1 : p.K;  // element (m, k) of A' = transA ? A[k][m] : A[m][k]
    j.acs = p.transA ? p.M : 1;
    j.Bp = bp;
    j.C = y;
    j.ldc = p.N;
    j.epi = &e;
    sgemm_parallel(pool, j);
}

}  // namespace ref
}  // namespace sdk
