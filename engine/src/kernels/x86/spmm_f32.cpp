// AVX2 + FMA sparse x dense kernel (kernels/ref/spmm.h), chosen at run time with the fp32
// AVX2 tier (x86_sgemm_avx2_enabled; SDK_F32_GEMM=ref keeps the portable kernel). Per tile of
// 32 pixels (then 8, then a masked tail), every row of the range: 4 accumulators, each
// nonzero one broadcast, 4 loads and 4 FMAs. The bias starts the accumulators; Relu/Clip
// are applied in registers, the other activations on the stored tile (in L1): a pass over
// the whole output afterwards would read it back from memory.
#include "kernels/ref/spmm.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include "kernels/unroll.h"
#include "kernels/x86/vec_target.h"

SDK_VEC_TARGET_BEGIN("avx2,fma")

namespace sdk {
namespace ref {
namespace {

template <int V>
inline void tile(const SpmmPlan& s, const float* x, float bias, float* y, uint32_t j0, uint32_t j1) {
    __m256 acc[V];
    SDK_UNROLL
    for (int v = 0; v < V; ++v) acc[v] = _mm256_set1_ps(bias);
    for (uint32_t j = j0; j < j1; ++j) {
        const __m256 w = _mm256_broadcast_ss(s.values + j);
        const float* xp = x + s.xoff[j];
        SDK_UNROLL
        for (int v = 0; v < V; ++v) acc[v] = _mm256_fmadd_ps(w, _mm256_loadu_ps(xp + 8 * v), acc[v]);
    }
    if (s.act.kind == kActRelu || s.act.kind == kActClip) {  // in registers
        const __m256 lo = _mm256_set1_ps(s.act.kind == kActRelu ? 0.0f : s.act.lo);
        SDK_UNROLL
        for (int v = 0; v < V; ++v) acc[v] = _mm256_max_ps(acc[v], lo);  // (NaN: the bound, as max_ps does)
        if (s.act.kind == kActClip) {
            const __m256 hi = _mm256_set1_ps(s.act.hi);
            SDK_UNROLL
            for (int v = 0; v < V; ++v) acc[v] = _mm256_min_ps(acc[v], hi);
        }
    }
    SDK_UNROLL
    for (int v = 0; v < V; ++v) _mm256_storeu_ps(y + 8 * v, acc[v]);
    // the others on the tile while it is in L1
    if (s.act.kind != kActNone && s.act.kind != kActRelu && s.act.kind != kActClip) act_span_f32(y, 8 * V, s.act);
}

}  // namespace

void x86_spmm_rows_avx2(const SpmmPlan& s, const float* x, const float* b, float* y, int64_t m0, int64_t m1) {
    const int64_t P = s.P;
    alignas(32) static const int32_t kMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    // pixel tiles outside, rows inside: a tile of X (K x 32 floats) stays in L1 while every
    // row of the range reads it
    int64_t p = 0;
    for (; p + 32 <= P; p += 32)
        for (int64_t m = m0; m < m1; ++m) tile<4>(s, x + p, b ? b[m] : 0.0f, y + m * P + p, s.row_ptr[m], s.row_ptr[m + 1]);
    for (; p + 8 <= P; p += 8)
        for (int64_t m = m0; m < m1; ++m) tile<1>(s, x + p, b ? b[m] : 0.0f, y + m * P + p, s.row_ptr[m], s.row_ptr[m + 1]);
    if (p < P) {  // 1..7 pixels: masked loads and stores (never past X's or Y's row)
        const __m256i mask = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMask + 8 - (P - p)));
        for (int64_t m = m0; m < m1; ++m) {
            __m256 acc = _mm256_set1_ps(b ? b[m] : 0.0f);
            for (uint32_t j = s.row_ptr[m]; j < s.row_ptr[m + 1]; ++j)
                acc = _mm256_fmadd_ps(_mm256_broadcast_ss(s.values + j), _mm256_maskload_ps(x + s.xoff[j] + p, mask),
                                      acc);
            _mm256_maskstore_ps(y + m * P + p, mask, acc);
            if (s.act.kind != kActNone) act_span_f32(y + m * P + p, P - p, s.act);
        }
    }
}

}  // namespace ref
}  // namespace sdk
SDK_VEC_TARGET_END
#endif
