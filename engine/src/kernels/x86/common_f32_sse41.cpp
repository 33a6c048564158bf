// SSE4.1 fp32 GEMM tier (x86 / x86_64 CPUs without AVX2+FMA: Android x86 devices, old
// hosts): a drop-in for ref::sgemm_packed over the same 8-column packed panels, so Gemm,
// MatMul and the 1x1 / im2col convolutions use it through sgemm_packed. Each row of the
// register tile is two XMM accumulators (8 columns); multiply then add (no FMA), in the
// same k order as the portable tile. The epilogue matches ref::sgemm_tile: alpha, row
// bias, accumulate, Relu/Clip on the register with act_f32's exact comparisons (blendv is
// the SSE4.1 instruction this tier needs), other activations over the stored row.
//
// Chosen at run time (the i686 ABI baseline is SSSE3): x86_sgemm_sse41_enabled() is true
// when the CPU has SSE4.1 and either lacks AVX2/FMA or SDK_F32_GEMM=sse41 forces this tier
// (how tests exercise it on AVX2 machines); SDK_F32_GEMM=ref turns it off.
#include "kernels/sgemm_x86.h"
#include "kernels/unroll.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"  // str_eq

#define SDK_SSE41_HOT SDK_HOT_TARGET("sse4.1")

namespace sdk {
namespace ref {
namespace {

int g_sse41 = -1;  // -1 unknown, 0 off, 1 on: a plain global, like g_state in common_f32.cpp

bool cpu_sse41() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.1");
}

// x86_64 has 16 XMM registers: 6 rows = 12 accumulators + 2 of B + 1 broadcast. i686 has
// 8: 2 rows (4 + 2 + 1).
#if defined(__x86_64__)
constexpr int kSseRows = 6;
#else
constexpr int kSseRows = 2;
#endif

template <int MR>
SDK_SSE41_HOT void tile_sse41(int K, const float* A, int64_t ars, int64_t acs, const float* panel, float* C,
                              int64_t ldc, int w, const GemmEpilogue& e, int64_t row0) {
    __m128 c0[MR], c1[MR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) c0[r] = c1[r] = _mm_setzero_ps();
    const float* a[MR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) a[r] = A + r * ars;
    for (int k = 0; k < K; ++k) {
        const __m128 b0 = _mm_loadu_ps(panel + (int64_t)k * kNR), b1 = _mm_loadu_ps(panel + (int64_t)k * kNR + 4);
        SDK_UNROLL for (int r = 0; r < MR; ++r) {
            const __m128 av = _mm_set1_ps(a[r][(int64_t)k * acs]);
            c0[r] = _mm_add_ps(c0[r], _mm_mul_ps(av, b0));
            c1[r] = _mm_add_ps(c1[r], _mm_mul_ps(av, b1));
        }
    }
    const bool relu = e.act.kind == kActRelu, clip = e.act.kind == kActClip;
    const __m128 zero = _mm_setzero_ps(), lo = _mm_set1_ps(e.act.lo), hi = _mm_set1_ps(e.act.hi);
    const __m128 alpha = _mm_set1_ps(e.alpha);
    SDK_UNROLL for (int r = 0; r < MR; ++r) {
        __m128 o[2] = {c0[r], c1[r]};
        float* crow = C + r * ldc;
        if (e.alpha != 1.0f) o[0] = _mm_mul_ps(o[0], alpha), o[1] = _mm_mul_ps(o[1], alpha);
        if (e.row_bias) {
            const __m128 bias = _mm_set1_ps(e.row_bias[row0 + r]);
            o[0] = _mm_add_ps(o[0], bias);
            o[1] = _mm_add_ps(o[1], bias);
        }
        if (w == kNR) {
            SDK_UNROLL for (int v = 0; v < 2; ++v) {
                __m128 x = o[v];
                if (e.accumulate) x = _mm_add_ps(x, _mm_loadu_ps(crow + 4 * v));
                // act_f32 exactly: Relu x > 0 ? x : 0 (NaN -> 0, -0 -> +0); Clip
                // x < lo ? lo : (x > hi ? hi : x) (NaN stays), both masks on the input
                if (relu) x = _mm_blendv_ps(zero, x, _mm_cmpgt_ps(x, zero));
                if (clip) {
                    const __m128 below = _mm_cmplt_ps(x, lo);
                    x = _mm_blendv_ps(x, hi, _mm_cmpgt_ps(x, hi));
                    x = _mm_blendv_ps(x, lo, below);
                }
                _mm_storeu_ps(crow + 4 * v, x);
            }
        } else {
            float tmp[kNR];
            _mm_storeu_ps(tmp, o[0]);
            _mm_storeu_ps(tmp + 4, o[1]);
            for (int j = 0; j < w; ++j) crow[j] = e.accumulate ? crow[j] + tmp[j] : tmp[j];
        }
        if (e.act.kind != kActNone && (w != kNR || !(relu || clip))) act_span_f32(crow, w, e.act);
    }
}

}  // namespace

bool x86_sgemm_sse41_enabled() {
    int s = __atomic_load_n(&g_sse41, __ATOMIC_RELAXED);
    if (s < 0) {
        __builtin_cpu_init();
        const char* force = getenv("SDK_F32_GEMM");
        const bool forced = force && str_eq(force, "sse41");
        const bool off = force && str_eq(force, "ref");
        const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        s = cpu_sse41() && (forced || (!off && !avx2)) ? 1 : 0;
        __atomic_store_n(&g_sse41, s, __ATOMIC_RELAXED);
    }
    return s == 1;
}

void x86_f32_set_sse41(int on) {
    const bool ok = cpu_sse41();
    __atomic_store_n(&g_sse41, on < 0 ? -1 : (on && ok ? 1 : 0), __ATOMIC_RELAXED);
}

void x86_sgemm_packed_sse41(int64_t M, int nc, int K, const float* A, int64_t ars, int64_t acs, const float* Bp,
                            float* C, int64_t ldc, const GemmEpilogue& e) {
    for (int p = 0; p < nc; p += kNR) {
        const int w = nc - p < kNR ? nc - p : kNR;
        const float* panel = Bp + (int64_t)(p / kNR) * K * kNR;
        float* cp = C + p;
        int64_t m = 0;
        for (; m + kSseRows <= M; m += kSseRows)
            tile_sse41<kSseRows>(K, A + m * ars, ars, acs, panel, cp + m * ldc, ldc, w, e, m);
#if defined(__x86_64__)
        if (m + 4 <= M) {
            tile_sse41<4>(K, A + m * ars, ars, acs, panel, cp + m * ldc, ldc, w, e, m);
            m += 4;
        }
        if (m + 2 <= M) {
            tile_sse41<2>(K, A + m * ars, ars, acs, panel, cp + m * ldc, ldc, w, e, m);
            m += 2;
        }
#endif
        if (m < M) tile_sse41<1>(K, A + m * ars, ars, acs, panel, cp + m * ldc, ldc, w, e, m);
    }
}

}  // namespace ref
}  // namespace sdk
#endif
