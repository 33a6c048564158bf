// Reference fp32 Gemm: packs B into column panels (at load when constant), then the
// register-tiled GEMM of sgemm_f32.h, split over panels for the thread pool.
#include "kernels/ref/gemm.h"

#include "kernels/ref/sgemm_f32.h"
#include "kernels/unroll.h"
#if SDK_FEATURE_X86
#include "kernels/sgemm_x86.h"
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>
#endif

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

namespace {

struct GemvJob {
    const GemmF32Plan* p;
    const float *a, *b;
    float* y;
    bool accumulate;
};

inline float epilogue(const GemmF32Plan& p, float acc, float prev, bool accumulate) {
    float v = p.alpha * acc;
    if (accumulate) v += prev;
    return act_f32(v, p.act);
}

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
// gemv_bt's NEON rows 4 outputs at a time (see there), from begin to end (returned). Its own function so that only this loop is compiled for speed (-Os spilled an
// accumulator of it), not the whole of gemv_bt.
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("O2")))
#endif
int64_t gemv_bt_neon4(const GemvJob& j, int64_t begin, int64_t end) {
    const GemmF32Plan& p = *j.p;
    const int K = p.K;
    int64_t n = begin;
    const float* a = j.a;  // a local: j.a would be reloaded every step (-Os)
    for (; n < end; n += 4) {
        // the 4 rows and a each read on by one pointer (post-incremented loads: ARMv7's VLD1
        // has no offset form, and row + i * K + k cost an address add per load there); the
        // last 1-3 outputs too, their missing rows repeating the last one (computed, not
        // stored: one copy of the loop in the code, no single-row loop)
        const int cnt = end - n < 4 ? (int)(end - n) : 4;
        const float* r[4];
        const float* rb[4];
        SDK_UNROLL for (int i = 0; i < 4; ++i) r[i] = rb[i] = j.b + (n + (i < cnt ? i : cnt - 1)) * K;
        const float* ap = a;
        float32x4_t t[4][2];
        SDK_UNROLL for (int i = 0; i < 4; ++i) t[i][0] = t[i][1] = vdupq_n_f32(0.0f);
        int k = 0;
#if defined(__aarch64__)
        // 16 k a trip, LD1 of 4 registers (5 loads per 32 FMLA, was 10 per 8 k): the same
        // accumulators in the same order as two trips of 8 k
        for (; k + 16 <= K; k += 16) {
            const float32x4x4_t av = vld1q_f32_x4(ap);
            ap += 16;
            SDK_UNROLL for (int i = 0; i < 4; ++i) {
                const float32x4x4_t bv = vld1q_f32_x4(r[i]);
                r[i] += 16;
                t[i][0] = vfmaq_f32(t[i][0], av.val[0], bv.val[0]);
                t[i][1] = vfmaq_f32(t[i][1], av.val[1], bv.val[1]);
                t[i][0] = vfmaq_f32(t[i][0], av.val[2], bv.val[2]);
                t[i][1] = vfmaq_f32(t[i][1], av.val[3], bv.val[3]);
            }
        }
#else
        // 8 k a trip in assembly: GCC's loop copied and advanced every pointer by hand
        // (31 instructions per 8 VMLA, now 15); the same VMLAs in the same order
        if (K >= 8) {
            int cnt = K / 8;
            __asm__ volatile(
                "1:\n"
                "vld1.32 {d0-d3}, [%[a]]!\n"
                "vld1.32 {d4-d7}, [%[r0]]!\n"
                "vld1.32 {d8-d11}, [%[r1]]!\n"
                "vmla.f32 %q[t00], q0, q2\n"
                "vmla.f32 %q[t01], q1, q3\n"
                "vld1.32 {d4-d7}, [%[r2]]!\n"
                "vmla.f32 %q[t10], q0, q4\n"
                "vmla.f32 %q[t11], q1, q5\n"
                "vld1.32 {d8-d11}, [%[r3]]!\n"
                "vmla.f32 %q[t20], q0, q2\n"
                "vmla.f32 %q[t21], q1, q3\n"
                "subs %[c], %[c], #1\n"
                "vmla.f32 %q[t30], q0, q4\n"
                "vmla.f32 %q[t31], q1, q5\n"
                "bne 1b\n"
                : [a] "+r"(ap), [r0] "+r"(r[0]), [r1] "+r"(r[1]), [r2] "+r"(r[2]), [r3] "+r"(r[3]), [c] "+r"(cnt),
                  [t00] "+w"(t[0][0]), [t01] "+w"(t[0][1]), [t10] "+w"(t[1][0]), [t11] "+w"(t[1][1]),
                  [t20] "+w"(t[2][0]), [t21] "+w"(t[2][1]), [t30] "+w"(t[3][0]), [t31] "+w"(t[3][1])
                :
                : "cc", "memory", "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10", "d11");
            k = K / 8 * 8;
        }
#endif
#if defined(__aarch64__)
        for (; k + 8 <= K; k += 8) {
            const float32x4_t a0 = vld1q_f32(ap), a1 = vld1q_f32(ap + 4);
            ap += 8;
            SDK_UNROLL for (int i = 0; i < 4; ++i) {
                const float32x4_t b0 = vld1q_f32(r[i]), b1 = vld1q_f32(r[i] + 4);
                r[i] += 8;
                t[i][0] = vfmaq_f32(t[i][0], a0, b0);
                t[i][1] = vfmaq_f32(t[i][1], a1, b1);
            }
        }
#endif
        float acc[4];
        SDK_UNROLL for (int i = 0; i < 4; ++i) {
            const float32x4_t s = vaddq_f32(t[i][0], t[i][1]);
            acc[i] = (vgetq_lane_f32(s, 0) + vgetq_lane_f32(s, 1)) + (vgetq_lane_f32(s, 2) + vgetq_lane_f32(s, 3));
        }
        for (int i = 0; i < cnt; ++i) {  // not unrolled: one copy of the tail and the epilogue
            for (int kk = k; kk < K; ++kk) acc[i] += a[kk] * rb[i][kk];
            j.y[n + i] = epilogue(p, acc[i], j.y[n + i], j.accumulate);
        }
    }
    return end;
}
#endif

// y[n] for n in [begin, end) with B' = B^T: one contiguous dot product per output.
void gemv_bt(void* arg, int64_t begin, int64_t end) {
    const GemvJob& j = *static_cast<const GemvJob*>(arg);
    const GemmF32Plan& p = *j.p;
    const int K = p.K;
    int64_t n = begin;
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    // NEON, 4 outputs at a time: each vector of a loaded once for 4 rows (a classifier's
    // rows are long; one row at a time spent 4.5 instructions per multiply-add); per row two
    // accumulators, as the portable loop below
    if (neon_sgemm_enabled()) n = gemv_bt_neon4(j, begin, end);
#endif
    for (; n < end; ++n) {
        const float* row = j.b + n * K;
        int k = 0;
        v4f s0 = {0.0f, 0.0f, 0.0f, 0.0f}, s1 = s0;
        for (; k + 8 <= K; k += 8) {
            v4f a0, a1, b0, b1;
            v4_load(&a0, j.a + k);
            v4_load(&a1, j.a + k + 4);
            v4_load(&b0, row + k);
            v4_load(&b1, row + k + 4);
            s0 += a0 * b0;
            s1 += a1 * b1;
        }
        s0 += s1;
        float lanes[4];
        memcpy(lanes, &s0, sizeof lanes);
        float acc = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
        for (; k < K; ++k) acc += j.a[k] * row[k];
        j.y[n] = epilogue(p, acc, j.y[n], j.accumulate);
    }
}

#if SDK_FEATURE_X86
// gemv_bt on the AVX2 dot kernel, 64 outputs at a time, then the same epilogue
void gemv_bt_x86(void* arg, int64_t begin, int64_t end) {
    const GemvJob& j = *static_cast<const GemvJob*>(arg);
    float dots[64];
    for (int64_t n0 = begin; n0 < end; n0 += 64) {
        const int w = end - n0 < 64 ? (int)(end - n0) : 64;
        x86_dots_avx2(j.a, j.b + n0 * j.p->K, j.p->K, w, dots);
        for (int i = 0; i < w; ++i) j.y[n0 + i] = epilogue(*j.p, dots[i], j.y[n0 + i], j.accumulate);
    }
}
#endif

// y[n] for n in [begin, end) with B' = B: rows of B scaled by a[k] and summed, in column
// blocks that stay in registers / L1.
void gemv_b(void* arg, int64_t begin, int64_t end) {
    const GemvJob& j = *static_cast<const GemvJob*>(arg);
    const GemmF32Plan& p = *j.p;
    constexpr int kBlock = 64;
    for (int64_t n0 = begin; n0 < end; n0 += kBlock) {
        const int w = end - n0 < kBlock ? (int)(end - n0) : kBlock;
        float acc[kBlock];
        for (int i = 0; i < w; ++i) acc[i] = 0.0f;
        for (int k = 0; k < p.K; ++k) {
            const float av = j.a[k];
            const float* row = j.b + (int64_t)k * p.N + n0;
            for (int i = 0; i < w; ++i) acc[i] += av * row[i];
        }
        for (int i = 0; i < w; ++i) j.y[n0 + i] = epilogue(p, acc[i], j.y[n0 + i], j.accumulate);
    }
}

}  // namespace

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
    if (!gemm_f32_needs_packed_b(p)) {  // M == 1: A' is one contiguous row either way
        GemvJob j = {&p, a, b, y, e.accumulate};
        int64_t grain = p.K > 0 ? (1 << 15) / p.K : 1;
        ParallelFn fn = p.transB ? gemv_bt : gemv_b;
#if SDK_FEATURE_X86
        if (p.transB && x86_sgemm_avx2_enabled()) fn = gemv_bt_x86;
#endif
        parallel_for(pool, p.N, grain < 1 ? 1 : grain, fn, &j);
        return;
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
