// AVX2 + FMA sparse x dense kernel (kernels/ref/spmm.h), chosen at run time with the fp32
// AVX2 tier (x86_sgemm_avx2_enabled; SDK_F32_GEMM=ref keeps the portable kernel). Per output
// row: tiles of 32 pixels (4 accumulators; each nonzero is one broadcast, 4 loads, 4 FMAs),
// then 8, then a masked tail. The bias starts the accumulators; the row's activation is
// applied once the row is done, while it is in cache.
#include "kernels/ref/spmm.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include "kernels/x86/vec_target.h"

SDK_VEC_TARGET_BEGIN("avx2,fma")

namespace sdk {
namespace ref {
namespace {

template <int V>
inline void tile(const SpmmPlan& s, const float* x, float bias, float* y, uint32_t j0, uint32_t j1) {
    __m256 acc[V];
    for (int v = 0; v < V; ++v) acc[v] = _mm256_set1_ps(bias);
    for (uint32_t j = j0; j < j1; ++j) {
        const __m256 w = _mm256_broadcast_ss(s.values + j);
        const float* xp = x + s.xoff[j];
        for (int v = 0; v < V; ++v) acc[v] = _mm256_fmadd_ps(w, _mm256_loadu_ps(xp + 8 * v), acc[v]);
    }
    for (int v = 0; v < V; ++v) _mm256_storeu_ps(y + 8 * v, acc[v]);
}

}  // namespace

void x86_spmm_rows_avx2(const SpmmPlan& s, const float* x, const float* b, float* y, int64_t m0, int64_t m1) {
    const int64_t P = s.P;
    alignas(32) static const int32_t kMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t m = m0; m < m1; ++m) {
        float* yr = y + m * P;
        const float bias = b ? b[m] : 0.0f;
        const uint32_t j0 = s.row_ptr[m], j1 = s.row_ptr[m + 1];
        int64_t p = 0;
        for (; p + 32 <= P; p += 32) tile<4>(s, x + p, bias, yr + p, j0, j1);
        for (; p + 8 <= P; p += 8) tile<1>(s, x + p, bias, yr + p, j0, j1);
        if (p < P) {  // 1..7 pixels: masked loads and stores (never past X's or Y's row)
            const __m256i mask = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMask + 8 - (P - p)));
            __m256 acc = _mm256_set1_ps(bias);
            for (uint32_t j = j0; j < j1; ++j)
                acc = _mm256_fmadd_ps(_mm256_broadcast_ss(s.values + j), _mm256_maskload_ps(x + s.xoff[j] + p, mask),
                                      acc);
            _mm256_maskstore_ps(yr + p, mask, acc);
        }
        if (s.act.kind != kActNone) act_span_f32(yr, P, s.act);
    }
}

}  // namespace ref
}  // namespace sdk
SDK_VEC_TARGET_END
#endif
