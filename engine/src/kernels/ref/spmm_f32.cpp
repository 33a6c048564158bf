// Portable sparse x dense kernel and the dispatch (kernels/ref/spmm.h).
#include "kernels/ref/spmm.h"

#include "kernels/ref/sgemm_f32.h"  // the fp32 tiers' switches (SDK_F32_GEMM=ref: this kernel)

namespace sdk {
namespace ref {

void spmm_f32_rows_ref(const SpmmPlan& s, const float* x, const float* b, float* y, int64_t m0, int64_t m1) {
    const int64_t P = s.P;
    // blocks of 64 pixels outside (X's block stays in cache), rows inside; per row one
    // nonzero at a time over the block: y += w * x[k] (nonzeros in column order)
    for (int64_t p0 = 0; p0 < P; p0 += 64) {
        const int64_t n = P - p0 < 64 ? P - p0 : 64;
        for (int64_t m = m0; m < m1; ++m) {
            float* yr = y + m * P + p0;
            const float bias = b ? b[m] : 0.0f;
            for (int64_t p = 0; p < n; ++p) yr[p] = bias;
            for (uint32_t j = s.row_ptr[m]; j < s.row_ptr[m + 1]; ++j) {
                const float w = s.values[j];
                const float* xr = x + s.xoff[j] + p0;
                for (int64_t p = 0; p < n; ++p) yr[p] += w * xr[p];
            }
            if (s.act.kind != kActNone) act_span_f32(yr, n, s.act);  // while the block is in cache
        }
    }
}

void spmm_f32_rows(const SpmmPlan& s, const float* x, const float* b, float* y, int64_t m0, int64_t m1) {
#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
    if (x86_sgemm_avx2_enabled()) return x86_spmm_rows_avx2(s, x, b, y, m0, m1);
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    if (neon_sgemm_enabled()) return neon_spmm_rows(s, x, b, y, m0, m1);
#endif
    spmm_f32_rows_ref(s, x, b, y, m0, m1);
}

namespace {
struct SpmmJob {
    const SpmmPlan* s;
    const float* x;
    const float* b;
    float* y;
};
void spmm_chunk(void* arg, int64_t m0, int64_t m1) {
    const SpmmJob& j = *static_cast<const SpmmJob*>(arg);
    spmm_f32_rows(*j.s, j.x, j.b, j.y, m0, m1);
}
}  // namespace

void spmm_f32(const SpmmPlan& s, const float* x, const float* b, float* y, ThreadPool* pool) {
    SpmmJob job = {&s, x, b, y};
    // a chunk of rows worth ~32k multiply-adds pays for a hand-off
    const int64_t per_row = s.M ? (int64_t)(s.row_ptr[s.M] / (uint32_t)s.M + 1) * s.P : 1;
    int64_t grain = 32768 / (per_row + 1) + 1;
    parallel_for(pool, s.M, grain, spmm_chunk, &job);
}

}  // namespace ref
}  // namespace sdk
