// AArch64 NEON fp32 GEMM tile behind ref::sgemm_packed: 8 rows x 8 columns (16 FMLA
// accumulators of the 32 vector registers; the portable 4-row tile leaves most idle),
// then 4- and 1-row tiles; the epilogue matches ref::sgemm_tile. FMLA rounds once, so
// results differ from the portable kernel by at most that (tested within 1e-5).
// The switch of the fp32 NEON tier (neon_sgemm_enabled) is compiled for ARMv7 too: the
// depthwise and pooling kernels (kernels/neon/<op>_f32.cpp) follow it on both.
#include "kernels/ref/sgemm_f32.h"
#include "kernels/unroll.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <stdlib.h>
#include <string.h>

namespace sdk {
namespace ref {
namespace {
int g_neon_state = -1;  // -1 unknown, 0 off, 1 on (plain global, relaxed atomics)
}  // namespace

bool neon_sgemm_enabled() {
    int s = __atomic_load_n(&g_neon_state, __ATOMIC_RELAXED);
    if (s < 0) {
        const char* force = getenv("SDK_F32_GEMM");
        s = force && strcmp(force, "ref") == 0 ? 0 : 1;
        __atomic_store_n(&g_neon_state, s, __ATOMIC_RELAXED);
    }
    return s == 1;
}

void neon_sgemm_set_enabled(int on) { __atomic_store_n(&g_neon_state, on < 0 ? -1 : (on ? 1 : 0), __ATOMIC_RELAXED); }

}  // namespace ref
}  // namespace sdk
#endif

#if SDK_FEATURE_NEON && defined(__aarch64__)
#include <arm_neon.h>

namespace sdk {
namespace ref {
namespace {

template <int MR>
inline void tile(int K, const float* A, int64_t ars, int64_t acs, const float* panel, float* C, int64_t ldc, int w,
                 const GemmEpilogue& e, int64_t row0) {
    float32x4_t c0[MR], c1[MR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) c0[r] = c1[r] = vdupq_n_f32(0.0f);
    const float* a[MR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) a[r] = A + r * ars;
    for (int k = 0; k < K; ++k) {
        const float32x4_t b0 = vld1q_f32(panel + (int64_t)k * kNR), b1 = vld1q_f32(panel + (int64_t)k * kNR + 4);
        SDK_UNROLL for (int r = 0; r < MR; ++r) {
            const float av = a[r][k * acs];
            c0[r] = vfmaq_n_f32(c0[r], b0, av);
            c1[r] = vfmaq_n_f32(c1[r], b1, av);
        }
    }
    // Relu/Clip on the registers (compare + select: the exact semantics of act_f32, NaN
    // included); other activations over the stored row. An out-of-line act_span_f32 call
    // per 8 floats would cost more than the multiply-adds in -Os builds.
    const bool relu = e.act.kind == kActRelu, clip = e.act.kind == kActClip;
    const float32x4_t zero = vdupq_n_f32(0.0f), lo = vdupq_n_f32(e.act.lo), hi = vdupq_n_f32(e.act.hi);
    SDK_UNROLL for (int r = 0; r < MR; ++r) {
        float32x4_t o0 = c0[r], o1 = c1[r];
        if (e.alpha != 1.0f) {
            o0 = vmulq_n_f32(o0, e.alpha);
            o1 = vmulq_n_f32(o1, e.alpha);
        }
        if (e.row_bias) {
            const float32x4_t bias = vdupq_n_f32(e.row_bias[row0 + r]);
            o0 = vaddq_f32(o0, bias);
            o1 = vaddq_f32(o1, bias);
        }
        float* crow = C + r * ldc;
        if (w == kNR) {
            if (e.accumulate) {
                o0 = vaddq_f32(o0, vld1q_f32(crow));
                o1 = vaddq_f32(o1, vld1q_f32(crow + 4));
            }
            if (relu) {
                o0 = vbslq_f32(vcgtq_f32(o0, zero), o0, zero);
                o1 = vbslq_f32(vcgtq_f32(o1, zero), o1, zero);
            }
            if (clip) {
                o0 = vbslq_f32(vcltq_f32(o0, lo), lo, o0);
                o1 = vbslq_f32(vcltq_f32(o1, lo), lo, o1);
                o0 = vbslq_f32(vcgtq_f32(o0, hi), hi, o0);
                o1 = vbslq_f32(vcgtq_f32(o1, hi), hi, o1);
            }
            vst1q_f32(crow, o0);
            vst1q_f32(crow + 4, o1);
        } else {
            float tmp[kNR];
            vst1q_f32(tmp, o0);
            vst1q_f32(tmp + 4, o1);
            for (int j = 0; j < w; ++j) crow[j] = e.accumulate ? crow[j] + tmp[j] : tmp[j];
        }
        if (e.act.kind != kActNone && (w != kNR || !(relu || clip))) act_span_f32(crow, w, e.act);
    }
}

}  // namespace

void neon_sgemm_packed(int64_t M, int nc, int K, const float* A, int64_t ars, int64_t acs, const float* Bp, float* C,
                       int64_t ldc, const GemmEpilogue& e) {
    for (int p = 0; p < nc; p += kNR) {
        const int w = nc - p < kNR ? nc - p : kNR;
        const float* panel = Bp + (int64_t)(p / kNR) * K * kNR;
        int64_t m = 0;
        for (; m + 8 <= M; m += 8) tile<8>(K, A + m * ars, ars, acs, panel, C + m * ldc + p, ldc, w, e, m);
        for (; m + 4 <= M; m += 4) tile<4>(K, A + m * ars, ars, acs, panel, C + m * ldc + p, ldc, w, e, m);
        for (; m < M; ++m) tile<1>(K, A + m * ars, ars, acs, panel, C + m * ldc + p, ldc, w, e, m);
    }
}

}  // namespace ref
}  // namespace sdk
#endif
