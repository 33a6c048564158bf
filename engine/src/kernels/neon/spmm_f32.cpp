// NEON sparse x dense kernel (kernels/ref/spmm.h) for AArch64 and ARMv7, chosen at run time
// with the fp32 NEON tier (neon_sgemm_enabled; SDK_F32_GEMM=ref keeps the portable kernel).
// Per tile of 32 pixels on AArch64 (8 accumulators of its 32 registers), 16 on ARMv7 (16
// quad registers: 4 accumulators + 4 loads), then 4, then scalar, every row; each nonzero is
// one scalar load of the weight, a load per 4 pixels and a multiply-add by lane (FMLA on
// AArch64, VMLA on ARMv7, which rounds twice like the portable kernel's mul + add).
#include "kernels/ref/spmm.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>

#include "kernels/unroll.h"

// (GCC at -Os, how SDKs ship, spills the accumulators: compiled for speed, as the GEMM tile)
#if defined(__GNUC__) && !defined(__clang__)
#define SDK_SPMM_HOT __attribute__((optimize("O2", "no-schedule-insns")))
#else
#define SDK_SPMM_HOT
#endif

namespace sdk {
namespace ref {
namespace {

#if defined(__aarch64__)
constexpr int kTileV = 8;
#define SDK_SPMM_FMA(acc, x, w) vfmaq_f32(acc, x, w)
#else
constexpr int kTileV = 4;
#define SDK_SPMM_FMA(acc, x, w) vmlaq_f32(acc, x, w)
#endif

template <int V>
SDK_SPMM_HOT inline void tile(const SpmmPlan& s, const float* x, float bias, float* y, uint32_t j0, uint32_t j1) {
    float32x4_t acc[V];
    SDK_UNROLL
    for (int v = 0; v < V; ++v) acc[v] = vdupq_n_f32(bias);
    for (uint32_t j = j0; j < j1; ++j) {
        const float32x4_t w = vld1q_dup_f32(s.values + j);
        const float* xp = x + s.xoff[j];
        SDK_UNROLL
        for (int v = 0; v < V; ++v) acc[v] = SDK_SPMM_FMA(acc[v], vld1q_f32(xp + 4 * v), w);
    }
    if (s.act.kind == kActRelu || s.act.kind == kActClip) {  // in registers
        const float32x4_t lo = vdupq_n_f32(s.act.kind == kActRelu ? 0.0f : s.act.lo);
        SDK_UNROLL
        for (int v = 0; v < V; ++v) acc[v] = vmaxq_f32(acc[v], lo);
        if (s.act.kind == kActClip) {
            const float32x4_t hi = vdupq_n_f32(s.act.hi);
            SDK_UNROLL
            for (int v = 0; v < V; ++v) acc[v] = vminq_f32(acc[v], hi);
        }
    }
    SDK_UNROLL
    for (int v = 0; v < V; ++v) vst1q_f32(y + 4 * v, acc[v]);
    // the others on the tile while it is in L1
    if (s.act.kind != kActNone && s.act.kind != kActRelu && s.act.kind != kActClip) act_span_f32(y, 4 * V, s.act);
}

}  // namespace

SDK_SPMM_HOT void neon_spmm_rows(const SpmmPlan& s, const float* x, const float* b, float* y, int64_t m0, int64_t m1) {
    const int64_t P = s.P;
    // pixel tiles outside, rows inside: a tile of X (K x 32 or 16 floats) stays in L1 while
    // every row of the range reads it
    int64_t p = 0;
    for (; p + 4 * kTileV <= P; p += 4 * kTileV)
        for (int64_t m = m0; m < m1; ++m)
            tile<kTileV>(s, x + p, b ? b[m] : 0.0f, y + m * P + p, s.row_ptr[m], s.row_ptr[m + 1]);
    for (; p + 4 <= P; p += 4)
        for (int64_t m = m0; m < m1; ++m)
            tile<1>(s, x + p, b ? b[m] : 0.0f, y + m * P + p, s.row_ptr[m], s.row_ptr[m + 1]);
    for (; p < P; ++p)
        for (int64_t m = m0; m < m1; ++m) {
            float acc = b ? b[m] : 0.0f;
            for (uint32_t j = s.row_ptr[m]; j < s.row_ptr[m + 1]; ++j) acc += s.values[j] * x[s.xoff[j] + p];
            y[m * P + p] = act_f32(acc, s.act);
        }
}

}  // namespace ref
}  // namespace sdk
#endif
