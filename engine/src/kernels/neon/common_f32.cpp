// NEON fp32 GEMM tile behind ref::sgemm_packed: on AArch64 8 rows x 8 columns (16 FMLA
// accumulators of the 32 vector registers; the portable 4-row tile leaves most idle), on
// ARMv7 4 x 8 with VMLA,
// then 4- and 1-row tiles; the epilogue matches ref::sgemm_tile. FMLA rounds once, so
// results differ from the portable kernel by at most that (tested within 1e-5).
// The switch of the fp32 NEON tier (neon_sgemm_enabled) is compiled for ARMv7 too: the
// depthwise and pooling kernels (kernels/neon/<op>_f32.cpp) follow it on both.
#include "kernels/ref/sgemm_f32.h"
#include "kernels/unroll.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <stdlib.h>
#include <string.h>

#include "core/status.h"  // str_eq

namespace sdk {
namespace ref {
namespace {
int g_neon_state = -1;  // -1 unknown, 0 off, 1 on (plain global, relaxed atomics)
}  // namespace

bool neon_sgemm_enabled() {
    int s = __atomic_load_n(&g_neon_state, __ATOMIC_RELAXED);
    if (s < 0) {
        const char* force = getenv("SDK_F32_GEMM");
        s = force && str_eq(force, "ref") ? 0 : 1;
        __atomic_store_n(&g_neon_state, s, __ATOMIC_RELAXED);
    }
    return s == 1;
}

void neon_sgemm_set_enabled(int on) { __atomic_store_n(&g_neon_state, on < 0 ? -1 : (on ? 1 : 0), __ATOMIC_RELAXED); }

}  // namespace ref
}  // namespace sdk
#endif

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>

namespace sdk {
namespace ref {
namespace {

// ARMv7: 16 quad registers, so 4 x 8 tiles (8 accumulators), and VMLA (multiply, then add:
// ARMv7 NEON has no fused multiply-add before VFPv4). GCC keeps generic float vectors off
// ARMv7 NEON (it is not IEEE-exact there without -funsafe-math-optimizations), so without
// this tile the portable kernel ran scalar VFP code: 10x the instructions of arm64.
#if defined(__aarch64__)
#define SDK_NEON_FMA(c, b, a) vfmaq_n_f32(c, b, a)
constexpr int kNeonRows = 8;
#else
#define SDK_NEON_FMA(c, b, a) vmlaq_n_f32(c, b, a)
constexpr int kNeonRows = 4;
#endif

#if defined(__aarch64__)
#define SDK_NEON_FMA_LANES(c, b, v, l) vfmaq_laneq_f32(c, b, v, l)
#else
#define SDK_NEON_FMA_LANES(c, b, v, l) \
    vmlaq_lane_f32(c, b, (l) < 2 ? vget_low_f32(v) : vget_high_f32(v), (l) & 1)
#endif

// GCC at -Os (how SDKs ship) spills this tile's broadcasts through the stack (34
// instructions per 8 multiply-adds on ARMv7): the loop is optimized for speed whatever the
// build type. Clang allocates it well at -Os and has no per-function optimize attribute.
#if defined(__GNUC__) && !defined(__clang__)
#define SDK_NEON_HOT __attribute__((optimize("O2", "no-schedule-insns")))
#else
#define SDK_NEON_HOT
#endif

template <int MR>
SDK_NEON_HOT inline void tile(int K, const float* A, int64_t ars, int64_t acs, const float* panel, float* C,
                              int64_t ldc, int w, const GemmEpilogue& e, int64_t row0) {
    float32x4_t c0[MR], c1[MR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) c0[r] = c1[r] = vdupq_n_f32(0.0f);
    const float* a[MR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) a[r] = A + r * ars;
    int k = 0;
    if (acs == 1) {  // rows of A contiguous (a conv's weights): 4 k per vector load, by lane
        for (; k + 4 <= K; k += 4) {
            float32x4_t av[MR];
            SDK_UNROLL for (int r = 0; r < MR; ++r) av[r] = vld1q_f32(a[r] + k);
            const float* bp = panel + (int64_t)k * kNR;
#define SDK_NEON_STEP(l)                                                      \
    {                                                                         \
        const float32x4_t b0 = vld1q_f32(bp + (l) * kNR), b1 = vld1q_f32(bp + (l) * kNR + 4); \
        SDK_UNROLL for (int r = 0; r < MR; ++r) {                             \
            c0[r] = SDK_NEON_FMA_LANES(c0[r], b0, av[r], l);                  \
            c1[r] = SDK_NEON_FMA_LANES(c1[r], b1, av[r], l);                  \
        }                                                                     \
    }
            SDK_NEON_STEP(0)
            SDK_NEON_STEP(1)
            SDK_NEON_STEP(2)
            SDK_NEON_STEP(3)
#undef SDK_NEON_STEP
        }
    }
    for (; k < K; ++k) {
        const float32x4_t b0 = vld1q_f32(panel + (int64_t)k * kNR), b1 = vld1q_f32(panel + (int64_t)k * kNR + 4);
        SDK_UNROLL for (int r = 0; r < MR; ++r) {
            const float av = a[r][k * acs];
            c0[r] = SDK_NEON_FMA(c0[r], b0, av);
            c1[r] = SDK_NEON_FMA(c1[r], b1, av);
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

SDK_NEON_HOT void neon_sgemm_packed(int64_t M, int nc, int K, const float* A, int64_t ars, int64_t acs,
                                    const float* Bp, float* C, int64_t ldc, const GemmEpilogue& eo) {
    // Activations other than Relu/Clip (HardSwish, Sigmoid, SiLU) run over each row of the
    // nc columns once all panels are stored: one act_span_f32 call per row instead of one
    // per 8 floats (each Sigmoid/SiLU call sets up its constants again, which cost more than
    // the 8 floats' arithmetic). The same values, applied to the same stored results.
    const bool late = eo.act.kind != kActNone && eo.act.kind != kActRelu && eo.act.kind != kActClip;
    GemmEpilogue el = eo;
    if (late) el.act.kind = kActNone;
    const GemmEpilogue& e = el;
    for (int p = 0; p < nc; p += kNR) {
        const int w = nc - p < kNR ? nc - p : kNR;
        const float* panel = Bp + (int64_t)(p / kNR) * K * kNR;
        int64_t m = 0;
        for (; m + kNeonRows <= M; m += kNeonRows)
            tile<kNeonRows>(K, A + m * ars, ars, acs, panel, C + m * ldc + p, ldc, w, e, m);
        for (; m + 4 <= M; m += 4) tile<4>(K, A + m * ars, ars, acs, panel, C + m * ldc + p, ldc, w, e, m);
        for (; m < M; ++m) tile<1>(K, A + m * ars, ars, acs, panel, C + m * ldc + p, ldc, w, e, m);
    }
    if (late)
        for (int64_t m = 0; m < M; ++m) act_span_f32(C + m * ldc, nc, eo.act);
}

}  // namespace ref
}  // namespace sdk
#endif
