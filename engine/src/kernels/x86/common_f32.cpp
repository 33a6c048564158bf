// AVX2 + FMA fp32 GEMM (see kernels/sgemm_x86.h): 8 rows x 8 columns per register tile
// (one YMM accumulator per row, 8 independent FMA chains), then 4- and 1-row tiles; the
// epilogue matches ref::sgemm_tile (alpha, accumulate, row bias, fused activation).
#include "kernels/sgemm_x86.h"
#include "kernels/unroll.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

namespace sdk {
namespace ref {
namespace {

// -1 unknown, 0 off, 1 on. A plain global (no function-local static): set once, read
// with relaxed atomics, every writer stores the same value.
int g_state = -1;

template <int MR>
__attribute__((target("avx2,fma"))) inline void tile(int K, const float* A, int64_t ars, int64_t acs,
                                                     const float* panel, float* C, int64_t ldc, int w,
                                                     const GemmEpilogue& e, int64_t row0) {
    __m256 c[MR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) c[r] = _mm256_setzero_ps();
    const float* a[MR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) a[r] = A + r * ars;
    for (int k = 0; k < K; ++k) {
        const __m256 b = _mm256_loadu_ps(panel + (int64_t)k * kNR);
        SDK_UNROLL for (int r = 0; r < MR; ++r) c[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(a[r] + k * acs), b, c[r]);
    }
    // Relu/Clip on the register (compare + blend: the exact semantics of act_f32, NaN
    // included); other activations over the stored row. An out-of-line act_span_f32 call
    // per 8 floats would cost more than the multiply-adds in -Os builds.
    const bool relu = e.act.kind == kActRelu, clip = e.act.kind == kActClip;
    const __m256 zero = _mm256_setzero_ps(), lo = _mm256_set1_ps(e.act.lo), hi = _mm256_set1_ps(e.act.hi);
    SDK_UNROLL for (int r = 0; r < MR; ++r) {
        __m256 o = c[r];
        if (e.alpha != 1.0f) o = _mm256_mul_ps(o, _mm256_set1_ps(e.alpha));
        if (e.row_bias) o = _mm256_add_ps(o, _mm256_set1_ps(e.row_bias[row0 + r]));
        float* crow = C + r * ldc;
        if (w == kNR) {
            if (e.accumulate) o = _mm256_add_ps(o, _mm256_loadu_ps(crow));
            if (relu) o = _mm256_blendv_ps(zero, o, _mm256_cmp_ps(o, zero, _CMP_GT_OQ));
            if (clip) {
                o = _mm256_blendv_ps(o, lo, _mm256_cmp_ps(o, lo, _CMP_LT_OQ));
                o = _mm256_blendv_ps(o, hi, _mm256_cmp_ps(o, hi, _CMP_GT_OQ));
            }
            _mm256_storeu_ps(crow, o);
        } else {
            float tmp[kNR];
            _mm256_storeu_ps(tmp, o);
            for (int j = 0; j < w; ++j) crow[j] = e.accumulate ? crow[j] + tmp[j] : tmp[j];
        }
        if (e.act.kind != kActNone && (w != kNR || !(relu || clip))) act_span_f32(crow, w, e.act);
    }
}

}  // namespace

bool x86_sgemm_avx2_enabled() {
    int s = __atomic_load_n(&g_state, __ATOMIC_RELAXED);
    if (s < 0) {
        __builtin_cpu_init();
        const char* force = getenv("SDK_F32_GEMM");
        s = (!force || strcmp(force, "ref") != 0) && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
                ? 1
                : 0;
        __atomic_store_n(&g_state, s, __ATOMIC_RELAXED);
    }
    return s == 1;
}

void x86_sgemm_set_enabled(int on) {
    __builtin_cpu_init();
    const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    __atomic_store_n(&g_state, on < 0 ? -1 : (on && ok ? 1 : 0), __ATOMIC_RELAXED);
}

namespace {

__attribute__((target("avx2,fma"))) void packed_avx2(int64_t M, int nc, int K, const float* A, int64_t ars,
                                                           int64_t acs, const float* Bp, float* C, int64_t ldc,
                                                           const GemmEpilogue& e) {
    for (int p = 0; p < nc; p += kNR) {
        const int w = nc - p < kNR ? nc - p : kNR;
        const float* panel = Bp + (int64_t)(p / kNR) * K * kNR;
        int64_t m = 0;
        for (; m + 8 <= M; m += 8) tile<8>(K, A + m * ars, ars, acs, panel, C + m * ldc + p, ldc, w, e, m);
        for (; m + 4 <= M; m += 4) tile<4>(K, A + m * ars, ars, acs, panel, C + m * ldc + p, ldc, w, e, m);
        for (; m < M; ++m) tile<1>(K, A + m * ars, ars, acs, panel, C + m * ldc + p, ldc, w, e, m);
    }
}

}  // namespace

// Plain (baseline-ISA) entry point: only the code it calls is compiled for AVX2 + FMA.
void x86_sgemm_packed_avx2(int64_t M, int nc, int K, const float* A, int64_t ars, int64_t acs, const float* Bp,
                           float* C, int64_t ldc, const GemmEpilogue& e) {
    packed_avx2(M, nc, K, A, ars, acs, Bp, C, ldc, e);
}

}  // namespace ref
}  // namespace sdk
#endif
