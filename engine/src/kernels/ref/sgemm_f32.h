// Portable fp32 GEMM used by Conv, Gemm and MatMul (header-only, so each op file that
// uses it stays independent of the others).
//
// C[M x N] = epilogue(A[M x K] * B[K x N]). B is first packed into panels of kNR columns
// (panel p holds K rows of kNR floats, zero-padded past N) so the micro-kernel streams
// it contiguously; a 4 x kNR register tile of C accumulates over the whole K, then the
// epilogue (alpha, accumulate into C, per-row bias, fused activation) runs once per
// element. GCC/Clang vector extensions map to SSE/NEON/scalar as the target allows.
#pragma once

#include <stdint.h>
#include <string.h>

#include "core/op.h"
#include "kernels/ref/act_f32.h"
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>
#endif

namespace sdk {
namespace ref {

constexpr int kNR = 8;  // columns per packed panel
constexpr int kMR = 4;  // rows per register tile

typedef float v4f __attribute__((vector_size(16)));

// By pointer, not by value: returning a vector from a function changes the ABI on
// targets without SIMD registers (e.g. i686 without SSE), which GCC warns about.
inline void v4_load(v4f* v, const float* p) { memcpy(v, p, sizeof *v); }

// Packs columns [n0, n0 + nc) of B, where element (k, n) is B[k * rs + n * cs], into
// ceil(nc / kNR) panels at `out` (K * kNR floats each, zero-padded).
inline void sgemm_pack_b(const float* B, int64_t rs, int64_t cs, int K, int64_t n0, int nc, float* out) {
    for (int p = 0; p < nc; p += kNR) {
        int w = nc - p < kNR ? nc - p : kNR;
        float* dst = out + (int64_t)(p / kNR) * K * kNR;
        const float* src = B + (n0 + p) * cs;
        if (cs == 1 && w == kNR) {
#if SDK_FEATURE_NEON && defined(__ARM_NEON)  // -Os makes the 32-byte memcpy a word loop on ARMv7
            // Two rows a trip, each one load post-incremented by the row stride and one store:
            // 3 instructions a row (the intrinsics: 5 on AArch64, 13 on ARMv7).
            if (rs <= INT32_MAX / (int64_t)sizeof(float)) {
                const float* s = src;
                float* d = dst;
                const long rsb = (long)(rs * (int64_t)sizeof(float));
                if (K & 1) {
                    vst1q_f32(d, vld1q_f32(s));
                    vst1q_f32(d + 4, vld1q_f32(s + 4));
                    s += rs;
                    d += kNR;
                }
                long pairs = K / 2;
#if defined(__aarch64__)
                if (pairs)
                    asm volatile(
                        "1:\n"
                        "ld1 {v0.4s, v1.4s}, [%[s]], %[rs]\n"
                        "ld1 {v2.4s, v3.4s}, [%[s]], %[rs]\n"
                        "st1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[d]], #64\n"
                        "subs %[n], %[n], #1\n"
                        "b.ne 1b\n"
                        : [s] "+r"(s), [d] "+r"(d), [n] "+r"(pairs)
                        : [rs] "r"(rsb)
                        : "cc", "memory", "v0", "v1", "v2", "v3");
#else
                if (pairs)
                    asm volatile(
                        "1:\n"
                        "vld1.32 {d0-d3}, [%[s]], %[rs]\n"
                        "vld1.32 {d4-d7}, [%[s]], %[rs]\n"
                        "vst1.32 {d0-d3}, [%[d]]!\n"
                        "vst1.32 {d4-d7}, [%[d]]!\n"
                        "subs %[n], %[n], #1\n"
                        "bne 1b\n"
                        : [s] "+r"(s), [d] "+r"(d), [n] "+r"(pairs)
                        : [rs] "r"(rsb)
                        : "cc", "memory", "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7");
#endif
                continue;
            }
#endif
            for (int k = 0; k < K; ++k) memcpy(dst + k * kNR, src + k * rs, kNR * sizeof(float));
        } else {
            for (int k = 0; k < K; ++k) {
                for (int j = 0; j < w; ++j) dst[k * kNR + j] = src[k * rs + j * cs];
                for (int j = w; j < kNR; ++j) dst[k * kNR + j] = 0.0f;
            }
        }
    }
}

struct GemmEpilogue {
    float alpha = 1.0f;
    bool accumulate = false;           // C += ... instead of C = ...
    const float* row_bias = nullptr;   // one value per row of C, or nullptr
    ActParams act = {kActNone, 0.0f, 0.0f};
};

// One MR x kNR tile: A rows (element (m, k) at A[m * ars + k * acs]) times one panel.
template <int MR>
inline void sgemm_tile(int K, const float* A, int64_t ars, int64_t acs, const float* panel, float* C, int64_t ldc,
                       int w, const GemmEpilogue& e, int64_t row0) {
    const v4f zero = {0.0f, 0.0f, 0.0f, 0.0f};
    v4f c0[MR], c1[MR];
    for (int r = 0; r < MR; ++r) c0[r] = c1[r] = zero;
    const float* a[MR];
    for (int r = 0; r < MR; ++r) a[r] = A + r * ars;
    for (int k = 0; k < K; ++k) {
        v4f b0, b1;
        v4_load(&b0, panel + k * kNR);
        v4_load(&b1, panel + k * kNR + 4);
        for (int r = 0; r < MR; ++r) {
            float av = a[r][k * acs];
            c0[r] += av * b0;
            c1[r] += av * b1;
        }
    }
    // Epilogue on whole vectors, then the activation over the row in memory (a loop of
    // constant length the compiler vectorizes): with a small K (pointwise convs) a scalar
    // per-element epilogue would cost as much as the multiply-adds.
    const bool scale = e.alpha != 1.0f;
    for (int r = 0; r < MR; ++r) {
        v4f o0 = c0[r], o1 = c1[r];
        if (scale) {
            o0 *= e.alpha;
            o1 *= e.alpha;
        }
        if (e.row_bias) {
            const float bias = e.row_bias[row0 + r];
            o0 += bias;
            o1 += bias;
        }
        float* crow = C + r * ldc;
        if (w == kNR) {
            if (e.accumulate) {
                v4f p0, p1;
                v4_load(&p0, crow);
                v4_load(&p1, crow + 4);
                o0 += p0;
                o1 += p1;
            }
            memcpy(crow, &o0, sizeof o0);
            memcpy(crow + 4, &o1, sizeof o1);
            if (e.act.kind != kActNone) act_span_f32(crow, kNR, e.act);
        } else {
            float tmp[kNR];
            memcpy(tmp, &o0, sizeof o0);
            memcpy(tmp + 4, &o1, sizeof o1);
            for (int j = 0; j < w; ++j) crow[j] = e.accumulate ? crow[j] + tmp[j] : tmp[j];
            if (e.act.kind != kActNone) act_span_f32(crow, w, e.act);
        }
    }
}

#if SDK_FEATURE_X86  // ---- perf engineer: declared here, defined in kernels/x86/common_f32.cpp
struct GemmEpilogue;
bool x86_sgemm_avx2_enabled();
void x86_sgemm_packed_avx2(int64_t M, int nc, int K, const float* A, int64_t ars, int64_t acs, const float* Bp,
                           float* C, int64_t ldc, const GemmEpilogue& e);
// ---- SSE4.1 tier (kernels/x86/common_f32_sse41.cpp): CPUs without AVX2+FMA, or SDK_F32_GEMM=sse41
bool x86_sgemm_sse41_enabled();
void x86_sgemm_packed_sse41(int64_t M, int nc, int K, const float* A, int64_t ars, int64_t acs, const float* Bp,
                            float* C, int64_t ldc, const GemmEpilogue& e);
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)  // kernels/neon/common_f32.cpp
// The fp32 NEON tier (GEMM tile on AArch64; depthwise and pooling kernels on ARMv7 too).
bool neon_sgemm_enabled();
void neon_sgemm_set_enabled(int on);  // test hook: 1 on, 0 off, -1 auto (SDK_F32_GEMM=ref is off)
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)  // ---- kernels/neon/common_f32.cpp (AArch64 and ARMv7)
void neon_sgemm_packed(int64_t M, int nc, int K, const float* A, int64_t ars, int64_t acs, const float* Bp, float* C,
                       int64_t ldc, const GemmEpilogue& e);
// A (M x K, e.g. a conv's weights) packed once for the NEON tiles, so a tile reads its rows
// with two LD1s per 4 k instead of one load per row (AArch64 8 x 8, 8 k a loop trip: 138
// instructions per 128 FMLA, was 76 per 64; ARMv7's 4 x 8 tiles one half-group each, 8 k a trip:
// 72 per 64 VMLA, was 42 per 32), all the groups down a panel in one assembly call.
// Layout: rows in groups of kPackRows (8; M8 = rows packed, a multiple of 8), group g at
// out + g * 8 * K, the same size as the rows it holds (no padding); inside a group, for each
// q < K / 4 the 8 rows' k = 4q .. 4q+3 (32 floats: row 0's four values, then row 1's, ...),
// then for each k of the K % 4 tail the 8 rows' values (8 floats). ARMv7 (4 x 8 tiles: one
// half of a group each) keeps each half on its own: rows 0-3 in this layout with 4 rows for 8
// (16 floats per 4 k, 4 per tail k), then rows 4-7 at + 4 * K: a tile loads its 4 rows x 4 k
// with one VLDM (two VLD1s over the interleaved halves). A Winograd or im2col user can write
// its transformed weights in this layout and call neon_sgemm_packed_a.
constexpr int kPackRows = 8;
constexpr int kPackHalf = 4;  // ARMv7: rows per contiguous half-group
void neon_sgemm_pack_a(const float* A, int64_t ars, int64_t M8, int K, float* out);
// C[M8 x nc] = epilogue(Ap * B) over B's panels (row bias or none, any activation): the
// bits of neon_sgemm_packed on whole panels (the bias first, then the products in k order,
// then Relu/Clip/HardSwish in registers; Sigmoid/SiLU over the stored rows). A last panel
// of <= 4 columns computes columns 0-3 only. Only alpha == 1; accumulate (in builds with the
// Winograd part only, SDK_FEATURE_WINOGRAD: the K-chunked convs' path; elsewhere not at all): the
// sums start at C's values (a K-chunked conv's later chunks, with the bias given to its first: the
// bias, then the products in k order, as one pass over the whole K would round them).
void neon_sgemm_packed_a(int64_t M8, int nc, int K, const float* Ap, const float* Bp, float* C, int64_t ldc,
                         const GemmEpilogue& e);
#endif

// C[M x nc] (row stride ldc) for the nc columns covered by the packed panels `Bp`.
inline void sgemm_packed(int64_t M, int nc, int K, const float* A, int64_t ars, int64_t acs, const float* Bp,
                         float* C, int64_t ldc, const GemmEpilogue& e) {
#if SDK_FEATURE_X86  // ---- perf engineer: AVX2+FMA tile when the CPU has it (kernels/x86/common_f32.cpp)
    if (x86_sgemm_avx2_enabled()) return x86_sgemm_packed_avx2(M, nc, K, A, ars, acs, Bp, C, ldc, e);
    if (x86_sgemm_sse41_enabled()) return x86_sgemm_packed_sse41(M, nc, K, A, ars, acs, Bp, C, ldc, e);  // SSE4.1 tier
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)  // ---- 8x8 FMLA tile (AArch64), 4x8 VMLA tile (ARMv7): neon/common_f32.cpp
    if (acs == 1 && neon_sgemm_enabled()) return neon_sgemm_packed(M, nc, K, A, ars, acs, Bp, C, ldc, e);
#endif
    for (int p = 0; p < nc; p += kNR) {
        int w = nc - p < kNR ? nc - p : kNR;
        const float* panel = Bp + (int64_t)(p / kNR) * K * kNR;
        int64_t m = 0;
        for (; m + kMR <= M; m += kMR)
            sgemm_tile<kMR>(K, A + m * ars, ars, acs, panel, C + m * ldc + p, ldc, w, e, m);
        switch (M - m) {
            case 3: sgemm_tile<3>(K, A + m * ars, ars, acs, panel, C + m * ldc + p, ldc, w, e, m); break;
            case 2: sgemm_tile<2>(K, A + m * ars, ars, acs, panel, C + m * ldc + p, ldc, w, e, m); break;
            case 1: sgemm_tile<1>(K, A + m * ars, ars, acs, panel, C + m * ldc + p, ldc, w, e, m); break;
            default: break;
        }
    }
}

// A whole GEMM over already-packed B, split over column panels for the thread pool.
struct SgemmJob {
    int64_t M, N;
    int K;
    const float* A;
    int64_t ars, acs;
    const float* Bp;  // ceil(N / kNR) panels
    float* C;
    int64_t ldc;
    const GemmEpilogue* epi;
};

inline void sgemm_job_range(void* arg, int64_t begin, int64_t end) {
    const SgemmJob& j = *static_cast<const SgemmJob*>(arg);
    int64_t n0 = begin * kNR, n1 = end * kNR < j.N ? end * kNR : j.N;
    sgemm_packed(j.M, (int)(n1 - n0), j.K, j.A, j.ars, j.acs, j.Bp + begin * j.K * kNR, j.C + n0, j.ldc, *j.epi);
}

inline void sgemm_parallel(ThreadPool* pool, const SgemmJob& job) {
    int64_t panels = (job.N + kNR - 1) / kNR;
    int64_t per_panel = job.M * job.K * kNR;  // multiply-adds per panel
    int64_t grain = per_panel > 0 ? (1 << 16) / per_panel : 1;
    if (grain < 1) grain = 1;
    parallel_for(pool, panels, grain, sgemm_job_range, const_cast<SgemmJob*>(&job));
}

}  // namespace ref
}  // namespace sdk
