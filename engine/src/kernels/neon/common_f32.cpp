// NEON fp32 GEMM tile behind ref::sgemm_packed: on AArch64 8 rows x 8 columns (16 FMLA
// accumulators of the 32 vector registers; the portable 4-row tile leaves most idle), on
// ARMv7 4 x 8 with VMLA,
// then 4- and 1-row tiles; the epilogue matches ref::sgemm_tile. FMLA rounds once, so
// results differ from the portable kernel by at most that (tested within 1e-5).
// The switch of the fp32 NEON tier (neon_sgemm_enabled) is compiled for ARMv7 too: the
// depthwise and pooling kernels (kernels/neon/<op>_f32.cpp) follow it on both.
#include "kernels/ref/sgemm_f32.h"
#include "kernels/unroll.h"

#ifndef SDK_FEATURE_WINOGRAD  // (as kernels/ref/conv.h: Meson defines it, other builds have it with fp32)
#define SDK_FEATURE_WINOGRAD SDK_FEATURE_FP32
#endif

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <stddef.h>
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

#include "kernels/neon/cmp_neon.h"

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

#if defined(__aarch64__)
// AArch64 8 x 8 tile, rows of A contiguous (acs == 1), the K loop and the epilogue in one
// assembly block: A's 8 rows x 4 k in v0-v7, B's two k-steps in v8-v11 (one LD1 of 4
// registers), the 16 accumulators in v16-v31 (76 instructions per 64 FMLA), then the K % 4 tail one k at a time. The
// intrinsics version spent ~400 instructions a tile outside the loop (zeroing, the
// per-row epilogue's branches and reloads), as much as the loop itself for the short K of
// pointwise layers. mode -1 stores the raw sums to dst (row r at dst + r * ldc bytes) for
// the caller's epilogue; 0, 1, 2 start the accumulators at the row bias + 0 (bias + the
// products, rounded in that order: ~20 instructions a tile fewer than adding it at the end;
// + 0 makes a -0 bias +0, so an all-zero sum is +0 as ref's (0 + products) + bias is),
// then nothing, Relu (FMAXNM with 0: act_f32's results, NaN included; see a64_packed8) or Clip with lo <= hi
// (the caller's condition: FMAX + FMIN, the values of act_f32's selects, NaN included; a
// zero equal to a bound may come out with the bound's sign), and store.
#include "kernels/neon/sgemm_a64_asm.h"  // SDK_A64_FMLA8X8_K4

struct V8Epi {
    const float* bias;  // 8 values (rows row0 .. row0 + 7); mode >= 0 only (a64_packed8: bias rows, below)
    float lo, hi;       // Clip bounds (mode 2)
    int32_t mode;       // -1 raw, 0 bias, 1 bias + Relu, 2 bias + Clip (lo <= hi)
    int32_t ktail;      // K % 4
    int64_t ldc_bytes;  // dst row stride
    // a64_packed8 only (packed A, neon_sgemm_pack_a's groups):
    int64_t half;       // non-zero: column 0 only (a panel of 1 column; the other lanes are not stored)
    int64_t bias_step;  // (unused)
    int64_t groups;     // 8-row groups, one after the other (A, dst and the bias move on)
    int64_t acc;        // non-zero: the accumulators start at dst's values (a K-chunked conv's later chunks)
};
static_assert(offsetof(V8Epi, lo) == 8 && offsetof(V8Epi, mode) == 16 && offsetof(V8Epi, ktail) == 20 &&
                  offsetof(V8Epi, ldc_bytes) == 24 && offsetof(V8Epi, half) == 32 &&
                  offsetof(V8Epi, bias_step) == 40 && offsetof(V8Epi, groups) == 48 && offsetof(V8Epi, acc) == 56,
              "a64_tile8x8's assembly reads these offsets");

__attribute__((noinline)) void a64_tile8x8(const float* a0, int64_t ars_bytes, const float* b, int64_t kq, float* dst,
                                           const V8Epi* ep) {
    const float *a1, *a2, *a3, *a4, *a5, *a6, *a7;
    asm volatile(
        "ldr %w[a2], [%[ep], #16]\n"  // mode
        "tbnz %w[a2], #31, 8f\n"      // raw: the sums from zero
        "ldr %[a1], [%[ep]]\n"        // the accumulators start at the row's bias
        "ldp q0, q1, [%[a1]]\n"
        "movi v2.16b, #0\n"           // bias + 0: a -0 bias starts at +0, so an all-zero
        "fadd v0.4s, v0.4s, v2.4s\n"  // sum is +0 as ref's (0 + products) + bias is
        "fadd v1.4s, v1.4s, v2.4s\n"
        "dup v16.4s, v0.s[0]\n"
        "dup v17.4s, v0.s[0]\n"
        "dup v18.4s, v0.s[1]\n"
        "dup v19.4s, v0.s[1]\n"
        "dup v20.4s, v0.s[2]\n"
        "dup v21.4s, v0.s[2]\n"
        "dup v22.4s, v0.s[3]\n"
        "dup v23.4s, v0.s[3]\n"
        "dup v24.4s, v1.s[0]\n"
        "dup v25.4s, v1.s[0]\n"
        "dup v26.4s, v1.s[1]\n"
        "dup v27.4s, v1.s[1]\n"
        "dup v28.4s, v1.s[2]\n"
        "dup v29.4s, v1.s[2]\n"
        "dup v30.4s, v1.s[3]\n"
        "dup v31.4s, v1.s[3]\n"
        "b 9f\n"
        "8:\n"
        "movi v16.16b, #0\n"
        "movi v17.16b, #0\n"
        "movi v18.16b, #0\n"
        "movi v19.16b, #0\n"
        "movi v20.16b, #0\n"
        "movi v21.16b, #0\n"
        "movi v22.16b, #0\n"
        "movi v23.16b, #0\n"
        "movi v24.16b, #0\n"
        "movi v25.16b, #0\n"
        "movi v26.16b, #0\n"
        "movi v27.16b, #0\n"
        "movi v28.16b, #0\n"
        "movi v29.16b, #0\n"
        "movi v30.16b, #0\n"
        "movi v31.16b, #0\n"
        "9:\n"
        "add %[a1], %[a0], %[rs]\n"
        "add %[a2], %[a1], %[rs]\n"
        "add %[a3], %[a2], %[rs]\n"
        "add %[a4], %[a3], %[rs]\n"
        "add %[a5], %[a4], %[rs]\n"
        "add %[a6], %[a5], %[rs]\n"
        "add %[a7], %[a6], %[rs]\n"
        "cbz %[kq], 2f\n"
        "1:\n"
        "ldr q0, [%[a0]], #16\n"
        "ldr q1, [%[a1]], #16\n"
        "ldr q2, [%[a2]], #16\n"
        "ldr q3, [%[a3]], #16\n"
        "ldr q4, [%[a4]], #16\n"
        "ldr q5, [%[a5]], #16\n"
        "ldr q6, [%[a6]], #16\n"
        "ldr q7, [%[a7]], #16\n"
        "ld1 {v8.4s, v9.4s, v10.4s, v11.4s}, [%[b]], #64\n"
        SDK_A64_FMLA8X8_K4
        "subs %[kq], %[kq], #1\n"
        "b.ne 1b\n"
        "2:\n"
        "ldr %w[kq], [%[ep], #20]\n"
        "cbz %w[kq], 4f\n"
        "3:\n"
        "ldr s0, [%[a0]], #4\n"
        "ldr s1, [%[a1]], #4\n"
        "ldr s2, [%[a2]], #4\n"
        "ldr s3, [%[a3]], #4\n"
        "ldr s4, [%[a4]], #4\n"
        "ldr s5, [%[a5]], #4\n"
        "ldr s6, [%[a6]], #4\n"
        "ldr s7, [%[a7]], #4\n"
        "ldp q8, q9, [%[b]], #32\n"
        "fmla v16.4s, v8.4s, v0.s[0]\n"
        "fmla v17.4s, v9.4s, v0.s[0]\n"
        "fmla v18.4s, v8.4s, v1.s[0]\n"
        "fmla v19.4s, v9.4s, v1.s[0]\n"
        "fmla v20.4s, v8.4s, v2.s[0]\n"
        "fmla v21.4s, v9.4s, v2.s[0]\n"
        "fmla v22.4s, v8.4s, v3.s[0]\n"
        "fmla v23.4s, v9.4s, v3.s[0]\n"
        "fmla v24.4s, v8.4s, v4.s[0]\n"
        "fmla v25.4s, v9.4s, v4.s[0]\n"
        "fmla v26.4s, v8.4s, v5.s[0]\n"
        "fmla v27.4s, v9.4s, v5.s[0]\n"
        "fmla v28.4s, v8.4s, v6.s[0]\n"
        "fmla v29.4s, v9.4s, v6.s[0]\n"
        "fmla v30.4s, v8.4s, v7.s[0]\n"
        "fmla v31.4s, v9.4s, v7.s[0]\n"
        "subs %w[kq], %w[kq], #1\n"
        "b.ne 3b\n"
        "4:\n"
        "ldr %w[a2], [%[ep], #16]\n"  // mode
        "ldr %[a1], [%[ep], #24]\n"   // ldc bytes
        "tbnz %w[a2], #31, 7f\n"      // raw
        "cbz %w[a2], 7f\n"
        "cmp %w[a2], #1\n"
        "b.gt 5f\n"
        "movi v8.16b, #0\n"  // Relu: FMAXNM with 0 (see a64_packed8)
        "fmaxnm v16.4s, v16.4s, v8.4s\n"
        "fmaxnm v17.4s, v17.4s, v8.4s\n"
        "fmaxnm v18.4s, v18.4s, v8.4s\n"
        "fmaxnm v19.4s, v19.4s, v8.4s\n"
        "fmaxnm v20.4s, v20.4s, v8.4s\n"
        "fmaxnm v21.4s, v21.4s, v8.4s\n"
        "fmaxnm v22.4s, v22.4s, v8.4s\n"
        "fmaxnm v23.4s, v23.4s, v8.4s\n"
        "fmaxnm v24.4s, v24.4s, v8.4s\n"
        "fmaxnm v25.4s, v25.4s, v8.4s\n"
        "fmaxnm v26.4s, v26.4s, v8.4s\n"
        "fmaxnm v27.4s, v27.4s, v8.4s\n"
        "fmaxnm v28.4s, v28.4s, v8.4s\n"
        "fmaxnm v29.4s, v29.4s, v8.4s\n"
        "fmaxnm v30.4s, v30.4s, v8.4s\n"
        "fmaxnm v31.4s, v31.4s, v8.4s\n"
        "b 7f\n"
        "5:\n"
        "add %[a0], %[ep], #8\n"
        "ld1r {v10.4s}, [%[a0]]\n"
        "add %[a0], %[ep], #12\n"
        "ld1r {v11.4s}, [%[a0]]\n"
        "fmax v16.4s, v16.4s, v10.4s\n"
        "fmin v16.4s, v16.4s, v11.4s\n"
        "fmax v17.4s, v17.4s, v10.4s\n"
        "fmin v17.4s, v17.4s, v11.4s\n"
        "fmax v18.4s, v18.4s, v10.4s\n"
        "fmin v18.4s, v18.4s, v11.4s\n"
        "fmax v19.4s, v19.4s, v10.4s\n"
        "fmin v19.4s, v19.4s, v11.4s\n"
        "fmax v20.4s, v20.4s, v10.4s\n"
        "fmin v20.4s, v20.4s, v11.4s\n"
        "fmax v21.4s, v21.4s, v10.4s\n"
        "fmin v21.4s, v21.4s, v11.4s\n"
        "fmax v22.4s, v22.4s, v10.4s\n"
        "fmin v22.4s, v22.4s, v11.4s\n"
        "fmax v23.4s, v23.4s, v10.4s\n"
        "fmin v23.4s, v23.4s, v11.4s\n"
        "fmax v24.4s, v24.4s, v10.4s\n"
        "fmin v24.4s, v24.4s, v11.4s\n"
        "fmax v25.4s, v25.4s, v10.4s\n"
        "fmin v25.4s, v25.4s, v11.4s\n"
        "fmax v26.4s, v26.4s, v10.4s\n"
        "fmin v26.4s, v26.4s, v11.4s\n"
        "fmax v27.4s, v27.4s, v10.4s\n"
        "fmin v27.4s, v27.4s, v11.4s\n"
        "fmax v28.4s, v28.4s, v10.4s\n"
        "fmin v28.4s, v28.4s, v11.4s\n"
        "fmax v29.4s, v29.4s, v10.4s\n"
        "fmin v29.4s, v29.4s, v11.4s\n"
        "fmax v30.4s, v30.4s, v10.4s\n"
        "fmin v30.4s, v30.4s, v11.4s\n"
        "fmax v31.4s, v31.4s, v10.4s\n"
        "fmin v31.4s, v31.4s, v11.4s\n"
        "7:\n"
        "stp q16, q17, [%[dst]]\n"
        "add %[dst], %[dst], %[a1]\n"
        "stp q18, q19, [%[dst]]\n"
        "add %[dst], %[dst], %[a1]\n"
        "stp q20, q21, [%[dst]]\n"
        "add %[dst], %[dst], %[a1]\n"
        "stp q22, q23, [%[dst]]\n"
        "add %[dst], %[dst], %[a1]\n"
        "stp q24, q25, [%[dst]]\n"
        "add %[dst], %[dst], %[a1]\n"
        "stp q26, q27, [%[dst]]\n"
        "add %[dst], %[dst], %[a1]\n"
        "stp q28, q29, [%[dst]]\n"
        "add %[dst], %[dst], %[a1]\n"
        "stp q30, q31, [%[dst]]\n"
        : [a0] "+r"(a0), [b] "+r"(b), [kq] "+r"(kq), [dst] "+r"(dst), [a1] "=&r"(a1), [a2] "=&r"(a2),
          [a3] "=&r"(a3), [a4] "=&r"(a4), [a5] "=&r"(a5), [a6] "=&r"(a6), [a7] "=&r"(a7)
        : [rs] "r"(ars_bytes), [ep] "r"(ep)
        : "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v16", "v17",
          "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
}
// acc (K-chunked convs: built with the Winograd part, the dense 3x3 models, so SDKs without one
// keep the bytes; conv_f32.cpp): the accumulators start at dst's rows
#if SDK_FEATURE_WINOGRAD
#define SDK_A64_PACKED_ACC_LOAD "ldr %[acc], [%[ep], #56]\n"
#define SDK_A64_PACKED_ACC \
    "cbz %[acc], 21f\n" \
    "mov %[t], %[dst]\n" \
    "ld1 {v16.4s, v17.4s}, [%[t]], %[ldc]\n" \
    "ld1 {v18.4s, v19.4s}, [%[t]], %[ldc]\n" \
    "ld1 {v20.4s, v21.4s}, [%[t]], %[ldc]\n" \
    "ld1 {v22.4s, v23.4s}, [%[t]], %[ldc]\n" \
    "ld1 {v24.4s, v25.4s}, [%[t]], %[ldc]\n" \
    "ld1 {v26.4s, v27.4s}, [%[t]], %[ldc]\n" \
    "ld1 {v28.4s, v29.4s}, [%[t]], %[ldc]\n" \
    "ld1 {v30.4s, v31.4s}, [%[t]]\n" \
    "b 22f\n" \
    "21:\n"
#else
#define SDK_A64_PACKED_ACC_LOAD
#define SDK_A64_PACKED_ACC
#endif
// AArch64 8 x 8 tiles over A packed by neon_sgemm_pack_a (sgemm_f32.h), `groups` 8-row
// groups down one panel in one call: A is read on from group to group (the groups are
// contiguous), the panel again from its start for each, dst moves down 8 rows. The bias as
// rows (bias_rows: each row's bias + 0 in 8 floats, the groups' rows one after the other)
// starts the accumulators with 4 LD1s (from 8 values: 20 instructions a tile). Per 8 k (4 LD1s
// of A, 2 of B, 128 FMLA, the loop): 136 instructions per 128 FMLA (4 k a trip: 138; a64_tile8x8
// on 8 row pointers: 152); an odd K / 4 enters the loop at its second half.
// The epilogue is a64_tile8x8's (mode -1 raw, 0 bias, 1 Relu, 2 Clip lo <= hi; the bias
// first, then the products in k order), the stores ST1 with the row stride as post-index.
// half: a panel of 1 column (7x7 maps: 49 = 6 x 8 + 1, 13x13's 169 = 21 x 8 + 1, the SE
// blocks' N = 1), column 0 only: the 8 rows' sums in 2 vectors (A's 4 k of 4 rows transposed
// by LD4), 14 instructions per 4 k (the even accumulators' half tile took 38), each row's
// bias or start and products in the same order, so the same values. Panels of 2-7 columns run
// the whole tile (a half-tile path for 2-4 cost ~200 B for ~0.08 M on mobilenet_v3_small).
// Relu is FMAXNM with 0 (one instruction a vector; FCMGT + AND took two): the accumulators
// are FADD/FMLA results, so a NaN among them is quiet and FMAXNM gives 0 for it, as
// x > 0 ? x : 0 does; -0 gives +0, a positive denormal itself (FPCR.FZ is off): act_f32's
// values, as the depthwise kernels' Relu (conv_f32.cpp).
__attribute__((noinline)) void a64_packed8(const float* a, const float* b, int64_t kq, float* dst, const V8Epi* ep) {
    int64_t cnt, ldc, grp, pb, bias, t, acc, hf, kt, md;
    asm volatile(
        "ldr %[bias], [%[ep]]\n"
        "ldr %[grp], [%[ep], #48]\n"
        "ldr %[ldc], [%[ep], #24]\n"
        "ldr %[hf], [%[ep], #32]\n"  // the record's half, K % 4, mode and Clip bounds held over the groups
        "ldr %w[kt], [%[ep], #20]\n"
        "ldr %w[md], [%[ep], #16]\n"
        "ldr d12, [%[ep], #8]\n"
        "dup v13.4s, v12.s[1]\n"
        "dup v12.4s, v12.s[0]\n"
        "movi v14.16b, #0\n"  // Relu's 0
        SDK_A64_PACKED_ACC_LOAD
        "mov %[pb], %[b]\n"
        "20:\n"  // one 8-row group
        SDK_A64_PACKED_ACC
        "ld1 {v16.4s, v17.4s, v18.4s, v19.4s}, [%[bias]], #64\n"  // the group's bias rows (8 x 8 floats)
        "ld1 {v20.4s, v21.4s, v22.4s, v23.4s}, [%[bias]], #64\n"
        "ld1 {v24.4s, v25.4s, v26.4s, v27.4s}, [%[bias]], #64\n"
        "ld1 {v28.4s, v29.4s, v30.4s, v31.4s}, [%[bias]], #64\n"
        "22:\n"
        "mov %[b], %[pb]\n"
        "cbnz %[hf], 30f\n"
        "cbz %[kq], 25f\n"
        "add %[cnt], %[kq], #1\n"  // 8 k a trip: an odd K / 4 enters at the second 4 k
        "lsr %[cnt], %[cnt], #1\n"
        "tbnz %[kq], #0, 27f\n"
        "26:\n"
        "ld1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[a]], #64\n"
        "ld1 {v4.4s, v5.4s, v6.4s, v7.4s}, [%[a]], #64\n"
        "ld1 {v8.4s, v9.4s, v10.4s, v11.4s}, [%[b]], #64\n"
        SDK_A64_FMLA8X8_K4
        "27:\n"
        "ld1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[a]], #64\n"
        "ld1 {v4.4s, v5.4s, v6.4s, v7.4s}, [%[a]], #64\n"
        "ld1 {v8.4s, v9.4s, v10.4s, v11.4s}, [%[b]], #64\n"
        SDK_A64_FMLA8X8_K4
        "subs %[cnt], %[cnt], #1\n"
        "b.ne 26b\n"
        "25:\n"  // K % 4 tail: per k the 8 rows' values, rows 0-3 in v0, 4-7 in v1
        "cbz %w[kt], 40f\n"
        "mov %w[t], %w[kt]\n"
        "29:\n"
        "ld1 {v0.4s, v1.4s}, [%[a]], #32\n"
        "ldp q8, q9, [%[b]], #32\n"
        "fmla v16.4s, v8.4s, v0.s[0]\n"
        "fmla v17.4s, v9.4s, v0.s[0]\n"
        "fmla v18.4s, v8.4s, v0.s[1]\n"
        "fmla v19.4s, v9.4s, v0.s[1]\n"
        "fmla v20.4s, v8.4s, v0.s[2]\n"
        "fmla v21.4s, v9.4s, v0.s[2]\n"
        "fmla v22.4s, v8.4s, v0.s[3]\n"
        "fmla v23.4s, v9.4s, v0.s[3]\n"
        "fmla v24.4s, v8.4s, v1.s[0]\n"
        "fmla v25.4s, v9.4s, v1.s[0]\n"
        "fmla v26.4s, v8.4s, v1.s[1]\n"
        "fmla v27.4s, v9.4s, v1.s[1]\n"
        "fmla v28.4s, v8.4s, v1.s[2]\n"
        "fmla v29.4s, v9.4s, v1.s[2]\n"
        "fmla v30.4s, v8.4s, v1.s[3]\n"
        "fmla v31.4s, v9.4s, v1.s[3]\n"
        "subs %w[t], %w[t], #1\n"
        "b.ne 29b\n"
        "b 40f\n"
        "30:\n"  // column 0 only: rows 0-3 in v17's lanes, 4-7 in v19's, from each row's start
        "mov v17.s[0], v16.s[0]\n"
        "mov v17.s[1], v18.s[0]\n"
        "mov v17.s[2], v20.s[0]\n"
        "mov v17.s[3], v22.s[0]\n"
        "mov v19.s[0], v24.s[0]\n"
        "mov v19.s[1], v26.s[0]\n"
        "mov v19.s[2], v28.s[0]\n"
        "mov v19.s[3], v30.s[0]\n"
        "cbz %[kq], 52f\n"
        "mov %[cnt], %[kq]\n"
        "51:\n"  // LD4: v0-v3 = k 0-3 of rows 0-3, v4-v7 of rows 4-7; B's column 0 in v24/v26/v28/v30 lane 0
        "ld4 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[a]], #64\n"
        "ld4 {v4.4s, v5.4s, v6.4s, v7.4s}, [%[a]], #64\n"
        "ld1 {v24.4s, v25.4s, v26.4s, v27.4s}, [%[b]], #64\n"
        "ld1 {v28.4s, v29.4s, v30.4s, v31.4s}, [%[b]], #64\n"
        "fmla v17.4s, v0.4s, v24.s[0]\n"
        "fmla v19.4s, v4.4s, v24.s[0]\n"
        "fmla v17.4s, v1.4s, v26.s[0]\n"
        "fmla v19.4s, v5.4s, v26.s[0]\n"
        "fmla v17.4s, v2.4s, v28.s[0]\n"
        "fmla v19.4s, v6.4s, v28.s[0]\n"
        "fmla v17.4s, v3.4s, v30.s[0]\n"
        "fmla v19.4s, v7.4s, v30.s[0]\n"
        "subs %[cnt], %[cnt], #1\n"
        "b.ne 51b\n"
        "52:\n"
        "cbz %w[kt], 54f\n"
        "mov %w[t], %w[kt]\n"
        "53:\n"
        "ld1 {v0.4s, v1.4s}, [%[a]], #32\n"
        "ld1 {v24.4s, v25.4s}, [%[b]], #32\n"
        "fmla v17.4s, v0.4s, v24.s[0]\n"
        "fmla v19.4s, v1.4s, v24.s[0]\n"
        "subs %w[t], %w[t], #1\n"
        "b.ne 53b\n"
        "54:\n"  // back to the even accumulators' lane 0 for the epilogue (the other lanes are not stored)
        "mov v16.s[0], v17.s[0]\n"
        "mov v18.s[0], v17.s[1]\n"
        "mov v20.s[0], v17.s[2]\n"
        "mov v22.s[0], v17.s[3]\n"
        "mov v24.s[0], v19.s[0]\n"
        "mov v26.s[0], v19.s[1]\n"
        "mov v28.s[0], v19.s[2]\n"
        "mov v30.s[0], v19.s[3]\n"
        "40:\n"  // mode 0 none, 1 Relu, 2 Clip, 3 HardSwish
        "tbnz %w[md], #1, 42f\n"
        "cbz %w[md], 45f\n"
        "fmaxnm v16.4s, v16.4s, v14.4s\n"
        "fmaxnm v17.4s, v17.4s, v14.4s\n"
        "fmaxnm v18.4s, v18.4s, v14.4s\n"
        "fmaxnm v19.4s, v19.4s, v14.4s\n"
        "fmaxnm v20.4s, v20.4s, v14.4s\n"
        "fmaxnm v21.4s, v21.4s, v14.4s\n"
        "fmaxnm v22.4s, v22.4s, v14.4s\n"
        "fmaxnm v23.4s, v23.4s, v14.4s\n"
        "fmaxnm v24.4s, v24.4s, v14.4s\n"
        "fmaxnm v25.4s, v25.4s, v14.4s\n"
        "fmaxnm v26.4s, v26.4s, v14.4s\n"
        "fmaxnm v27.4s, v27.4s, v14.4s\n"
        "fmaxnm v28.4s, v28.4s, v14.4s\n"
        "fmaxnm v29.4s, v29.4s, v14.4s\n"
        "fmaxnm v30.4s, v30.4s, v14.4s\n"
        "fmaxnm v31.4s, v31.4s, v14.4s\n"
        "b 45f\n"
        "42:\n"
        "tbnz %w[md], #0, 43f\n"
        "fmax v16.4s, v16.4s, v12.4s\n"
        "fmin v16.4s, v16.4s, v13.4s\n"
        "fmax v17.4s, v17.4s, v12.4s\n"
        "fmin v17.4s, v17.4s, v13.4s\n"
        "fmax v18.4s, v18.4s, v12.4s\n"
        "fmin v18.4s, v18.4s, v13.4s\n"
        "fmax v19.4s, v19.4s, v12.4s\n"
        "fmin v19.4s, v19.4s, v13.4s\n"
        "fmax v20.4s, v20.4s, v12.4s\n"
        "fmin v20.4s, v20.4s, v13.4s\n"
        "fmax v21.4s, v21.4s, v12.4s\n"
        "fmin v21.4s, v21.4s, v13.4s\n"
        "fmax v22.4s, v22.4s, v12.4s\n"
        "fmin v22.4s, v22.4s, v13.4s\n"
        "fmax v23.4s, v23.4s, v12.4s\n"
        "fmin v23.4s, v23.4s, v13.4s\n"
        "fmax v24.4s, v24.4s, v12.4s\n"
        "fmin v24.4s, v24.4s, v13.4s\n"
        "fmax v25.4s, v25.4s, v12.4s\n"
        "fmin v25.4s, v25.4s, v13.4s\n"
        "fmax v26.4s, v26.4s, v12.4s\n"
        "fmin v26.4s, v26.4s, v13.4s\n"
        "fmax v27.4s, v27.4s, v12.4s\n"
        "fmin v27.4s, v27.4s, v13.4s\n"
        "fmax v28.4s, v28.4s, v12.4s\n"
        "fmin v28.4s, v28.4s, v13.4s\n"
        "fmax v29.4s, v29.4s, v12.4s\n"
        "fmin v29.4s, v29.4s, v13.4s\n"
        "fmax v30.4s, v30.4s, v12.4s\n"
        "fmin v30.4s, v30.4s, v13.4s\n"
        "fmax v31.4s, v31.4s, v12.4s\n"
        "fmin v31.4s, v31.4s, v13.4s\n"
        "b 45f\n"
        "43:\n"  // HardSwish: x * min(max(x / 6 + 0.5, 0), 1) (the multiply-add fused, as ref's)
        "ldr s8, [%[ep], #8]\n"  // 1 / 6 in lo
        "dup v8.4s, v8.s[0]\n"
        "fmov v9.4s, #0.5\n"
        "movi v10.16b, #0\n"
        "fmov v11.4s, #1.0\n"
        "mov v0.16b, v9.16b\n"
        "fmla v0.4s, v16.4s, v8.4s\n"
        "fmax v0.4s, v0.4s, v10.4s\n"
        "fmin v0.4s, v0.4s, v11.4s\n"
        "fmul v16.4s, v16.4s, v0.4s\n"
        "mov v1.16b, v9.16b\n"
        "fmla v1.4s, v17.4s, v8.4s\n"
        "fmax v1.4s, v1.4s, v10.4s\n"
        "fmin v1.4s, v1.4s, v11.4s\n"
        "fmul v17.4s, v17.4s, v1.4s\n"
        "mov v2.16b, v9.16b\n"
        "fmla v2.4s, v18.4s, v8.4s\n"
        "fmax v2.4s, v2.4s, v10.4s\n"
        "fmin v2.4s, v2.4s, v11.4s\n"
        "fmul v18.4s, v18.4s, v2.4s\n"
        "mov v3.16b, v9.16b\n"
        "fmla v3.4s, v19.4s, v8.4s\n"
        "fmax v3.4s, v3.4s, v10.4s\n"
        "fmin v3.4s, v3.4s, v11.4s\n"
        "fmul v19.4s, v19.4s, v3.4s\n"
        "mov v4.16b, v9.16b\n"
        "fmla v4.4s, v20.4s, v8.4s\n"
        "fmax v4.4s, v4.4s, v10.4s\n"
        "fmin v4.4s, v4.4s, v11.4s\n"
        "fmul v20.4s, v20.4s, v4.4s\n"
        "mov v5.16b, v9.16b\n"
        "fmla v5.4s, v21.4s, v8.4s\n"
        "fmax v5.4s, v5.4s, v10.4s\n"
        "fmin v5.4s, v5.4s, v11.4s\n"
        "fmul v21.4s, v21.4s, v5.4s\n"
        "mov v6.16b, v9.16b\n"
        "fmla v6.4s, v22.4s, v8.4s\n"
        "fmax v6.4s, v6.4s, v10.4s\n"
        "fmin v6.4s, v6.4s, v11.4s\n"
        "fmul v22.4s, v22.4s, v6.4s\n"
        "mov v7.16b, v9.16b\n"
        "fmla v7.4s, v23.4s, v8.4s\n"
        "fmax v7.4s, v7.4s, v10.4s\n"
        "fmin v7.4s, v7.4s, v11.4s\n"
        "fmul v23.4s, v23.4s, v7.4s\n"
        "mov v0.16b, v9.16b\n"
        "fmla v0.4s, v24.4s, v8.4s\n"
        "fmax v0.4s, v0.4s, v10.4s\n"
        "fmin v0.4s, v0.4s, v11.4s\n"
        "fmul v24.4s, v24.4s, v0.4s\n"
        "mov v1.16b, v9.16b\n"
        "fmla v1.4s, v25.4s, v8.4s\n"
        "fmax v1.4s, v1.4s, v10.4s\n"
        "fmin v1.4s, v1.4s, v11.4s\n"
        "fmul v25.4s, v25.4s, v1.4s\n"
        "mov v2.16b, v9.16b\n"
        "fmla v2.4s, v26.4s, v8.4s\n"
        "fmax v2.4s, v2.4s, v10.4s\n"
        "fmin v2.4s, v2.4s, v11.4s\n"
        "fmul v26.4s, v26.4s, v2.4s\n"
        "mov v3.16b, v9.16b\n"
        "fmla v3.4s, v27.4s, v8.4s\n"
        "fmax v3.4s, v3.4s, v10.4s\n"
        "fmin v3.4s, v3.4s, v11.4s\n"
        "fmul v27.4s, v27.4s, v3.4s\n"
        "mov v4.16b, v9.16b\n"
        "fmla v4.4s, v28.4s, v8.4s\n"
        "fmax v4.4s, v4.4s, v10.4s\n"
        "fmin v4.4s, v4.4s, v11.4s\n"
        "fmul v28.4s, v28.4s, v4.4s\n"
        "mov v5.16b, v9.16b\n"
        "fmla v5.4s, v29.4s, v8.4s\n"
        "fmax v5.4s, v5.4s, v10.4s\n"
        "fmin v5.4s, v5.4s, v11.4s\n"
        "fmul v29.4s, v29.4s, v5.4s\n"
        "mov v6.16b, v9.16b\n"
        "fmla v6.4s, v30.4s, v8.4s\n"
        "fmax v6.4s, v6.4s, v10.4s\n"
        "fmin v6.4s, v6.4s, v11.4s\n"
        "fmul v30.4s, v30.4s, v6.4s\n"
        "mov v7.16b, v9.16b\n"
        "fmla v7.4s, v31.4s, v8.4s\n"
        "fmax v7.4s, v7.4s, v10.4s\n"
        "fmin v7.4s, v7.4s, v11.4s\n"
        "fmul v31.4s, v31.4s, v7.4s\n"
        "45:\n"
        "st1 {v16.4s, v17.4s}, [%[dst]], %[ldc]\n"
        "st1 {v18.4s, v19.4s}, [%[dst]], %[ldc]\n"
        "st1 {v20.4s, v21.4s}, [%[dst]], %[ldc]\n"
        "st1 {v22.4s, v23.4s}, [%[dst]], %[ldc]\n"
        "st1 {v24.4s, v25.4s}, [%[dst]], %[ldc]\n"
        "st1 {v26.4s, v27.4s}, [%[dst]], %[ldc]\n"
        "st1 {v28.4s, v29.4s}, [%[dst]], %[ldc]\n"
        "st1 {v30.4s, v31.4s}, [%[dst]], %[ldc]\n"
        "subs %[grp], %[grp], #1\n"
        "b.ne 20b\n"
        : [a] "+r"(a), [b] "+r"(b), [dst] "+r"(dst), [cnt] "=&r"(cnt), [ldc] "=&r"(ldc), [grp] "=&r"(grp),
          [pb] "=&r"(pb), [bias] "=&r"(bias), [t] "=&r"(t), [acc] "=&r"(acc), [hf] "=&r"(hf), [kt] "=&r"(kt),
          [md] "=&r"(md)
        : [kq] "r"(kq), [ep] "r"(ep)
        : "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14",
          "v16", "v17",
          "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
}
#endif

#if !defined(__aarch64__)
#include "kernels/neon/sgemm_v7_asm.h"  // SDK_V7_VMLA4X8_K4

// ARMv7 4 x 8 tile, rows of A contiguous (acs == 1), hand-allocated registers. GCC's
// allocation of the intrinsics version moved every A value through d0-d15 (VMLA's scalar
// operand must be there) and spilled accumulators to the stack: ~3.2 instructions per VMLA.
// Here A's 4 rows x 4 k sit in q0-q3, B's two k-steps in q4-q7 and the 8 accumulators in
// q8-q15: 40 instructions per 32 VMLA (B by VLDM), then the K % 4 tail one k at a time.
// mode -1 stores the raw sums to dst (row r at dst + r * ldc bytes) for the caller's
// epilogue; 0, 1, 2 then apply nothing, Relu (compare + AND: act_f32's results, NaN
// included) or Clip with lo <= hi (the caller's condition: VMAX + VMIN; NaN stays NaN, the
// default NaN as NEON makes it), and store: the epilogue the 1x1 convs need, without the
// per-row branches and stack traffic of the generic one. The accumulators start at the
// row bias + 0 (a -0 bias as +0, so an all-zero sum is +0 as ref's; zeros for mode -1),
// copied into the record so the assembly loads it with no core register to spare (bias +
// the products, rounded in that order).
struct V7Epi {
    float bias[4];      // rows row0 .. row0 + 3 (zeros for mode -1 or no bias)
    float lo, hi;       // Clip bounds (mode 2)
    int32_t mode;       // -1 raw, 0 bias, 1 bias + Relu, 2 bias + Clip (lo <= hi)
    int32_t ldc_bytes;  // dst row stride
    int32_t ktail;      // K % 4
};
static_assert(offsetof(V7Epi, lo) == 16 && offsetof(V7Epi, mode) == 24 && offsetof(V7Epi, ldc_bytes) == 28 &&
                  offsetof(V7Epi, ktail) == 32,
              "v7_tile4x8's assembly reads these offsets");

__attribute__((noinline)) void v7_tile4x8(const float* a0, const float* a1, const float* a2, const float* a3,
                                          const float* b, int kq, float* dst, const V7Epi* ep) {
    asm volatile(
        "vld1.32 {d0-d1}, [%[ep]]\n"  // the row bias
        "vdup.32 q8, d0[0]\n"
        "vdup.32 q9, d0[0]\n"
        "vdup.32 q10, d0[1]\n"
        "vdup.32 q11, d0[1]\n"
        "vdup.32 q12, d1[0]\n"
        "vdup.32 q13, d1[0]\n"
        "vdup.32 q14, d1[1]\n"
        "vdup.32 q15, d1[1]\n"
        "cmp %[kq], #0\n"
        "beq 2f\n"
        "1:\n"
        "vld1.32 {d0-d1}, [%[a0]]!\n"
        "vld1.32 {d2-d3}, [%[a1]]!\n"
        "vld1.32 {d4-d5}, [%[a2]]!\n"
        "vld1.32 {d6-d7}, [%[a3]]!\n"
        SDK_V7_VMLA4X8_K4
        "subs %[kq], %[kq], #1\n"
        "bne 1b\n"
        "2:\n"
        "ldr %[kq], [%[ep], #32]\n"
        "cmp %[kq], #0\n"
        "beq 4f\n"
        "3:\n"
        "vld1.32 {d0[0]}, [%[a0]]!\n"
        "vld1.32 {d2[0]}, [%[a1]]!\n"
        "vld1.32 {d4[0]}, [%[a2]]!\n"
        "vld1.32 {d6[0]}, [%[a3]]!\n"
        "vld1.32 {d8-d11}, [%[b]]!\n"
        "vmla.f32 q8, q4, d0[0]\n"
        "vmla.f32 q9, q5, d0[0]\n"
        "vmla.f32 q10, q4, d2[0]\n"
        "vmla.f32 q11, q5, d2[0]\n"
        "vmla.f32 q12, q4, d4[0]\n"
        "vmla.f32 q13, q5, d4[0]\n"
        "vmla.f32 q14, q4, d6[0]\n"
        "vmla.f32 q15, q5, d6[0]\n"
        "subs %[kq], %[kq], #1\n"
        "bne 3b\n"
        "4:\n"
        "ldr %[a1], [%[ep], #24]\n"  // mode
        "ldr %[a2], [%[ep], #28]\n"  // ldc bytes
        "cmp %[a1], #1\n"
        "blt 7f\n"
        "bgt 5f\n"
        "vmov.i32 q0, #0\n"
        "vcgt.f32 q1, q8, q0\n"
        "vand q8, q8, q1\n"
        "vcgt.f32 q1, q9, q0\n"
        "vand q9, q9, q1\n"
        "vcgt.f32 q1, q10, q0\n"
        "vand q10, q10, q1\n"
        "vcgt.f32 q1, q11, q0\n"
        "vand q11, q11, q1\n"
        "vcgt.f32 q1, q12, q0\n"
        "vand q12, q12, q1\n"
        "vcgt.f32 q1, q13, q0\n"
        "vand q13, q13, q1\n"
        "vcgt.f32 q1, q14, q0\n"
        "vand q14, q14, q1\n"
        "vcgt.f32 q1, q15, q0\n"
        "vand q15, q15, q1\n"
        "b 7f\n"
        "5:\n"
        "add %[a0], %[ep], #16\n"
        "vld1.32 {d0}, [%[a0]]\n"
        "vdup.32 q2, d0[0]\n"
        "vdup.32 q3, d0[1]\n"
        "vmax.f32 q8, q8, q2\n"
        "vmin.f32 q8, q8, q3\n"
        "vmax.f32 q9, q9, q2\n"
        "vmin.f32 q9, q9, q3\n"
        "vmax.f32 q10, q10, q2\n"
        "vmin.f32 q10, q10, q3\n"
        "vmax.f32 q11, q11, q2\n"
        "vmin.f32 q11, q11, q3\n"
        "vmax.f32 q12, q12, q2\n"
        "vmin.f32 q12, q12, q3\n"
        "vmax.f32 q13, q13, q2\n"
        "vmin.f32 q13, q13, q3\n"
        "vmax.f32 q14, q14, q2\n"
        "vmin.f32 q14, q14, q3\n"
        "vmax.f32 q15, q15, q2\n"
        "vmin.f32 q15, q15, q3\n"
        "7:\n"
        "vst1.32 {d16-d19}, [%[dst]], %[a2]\n"
        "vst1.32 {d20-d23}, [%[dst]], %[a2]\n"
        "vst1.32 {d24-d27}, [%[dst]], %[a2]\n"
        "vst1.32 {d28-d31}, [%[dst]]\n"
        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [b] "+r"(b), [kq] "+r"(kq), [dst] "+r"(dst)
        : [ep] "r"(ep)
        : "cc", "memory", "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "q12", "q13",
          "q14", "q15");
}
// ARMv7 4 x 8 tiles over A packed by neon_sgemm_pack_a (sgemm_f32.h): `groups` 8-row groups
// down one panel in one call, each as two halves (rows 0-3, then 4-7: 4 rows x 4 k are 64
// contiguous bytes of each 128-byte k-block), the panel read again from its start for each.
// Per 4 k: 2 loads of A, 2 VLDMs of B, 32 VMLA, the loop (38 instructions; v7_tile4x8 on 4 row
// pointers: 40). The epilogue is v7_tile4x8's (mode 0 bias, 1 Relu, 2 Clip lo <= hi; the
// bias first, then the products in k order), the bias as a64_packed8's bias rows (one VLDM of
// 4 rows a half: 13 instructions from 4 values).
struct V7Pack {
    float lo, hi;        // Clip bounds (mode 2)
    int32_t mode;        // 0 bias, 1 bias + Relu, 2 bias + Clip (lo <= hi)
    int32_t ktail;       // K % 4
    int32_t ldc_bytes;   // dst row stride
    int32_t kq;          // K / 4
    const float* bias;   // the first group's bias rows (bias_rows)
    int32_t bias_step;   // (unused)
    int32_t groups;      // counted down by the assembly
    const float* panel;  // B's panel
    int32_t half;        // non-zero: columns 0-3 only (a panel of <= 4 columns; 4-7 keep the bias)
    int32_t acc;         // non-zero: the accumulators start at dst's values (a K-chunked conv's later chunks)
};
static_assert(offsetof(V7Pack, mode) == 8 && offsetof(V7Pack, ktail) == 12 && offsetof(V7Pack, ldc_bytes) == 16 &&
                  offsetof(V7Pack, kq) == 20 && offsetof(V7Pack, bias) == 24 && offsetof(V7Pack, bias_step) == 28 &&
                  offsetof(V7Pack, groups) == 32 && offsetof(V7Pack, panel) == 36 &&
                  offsetof(V7Pack, half) == 40 && offsetof(V7Pack, acc) == 44,
              "v7_packed8's assembly reads these offsets");

// acc (K-chunked convs, with the Winograd part as on AArch64): the accumulators start at dst's rows
#if SDK_FEATURE_WINOGRAD
#define SDK_V7_PACKED_ACC_LOAD "ldr %[acc], [%[ep], #44]\n"
#if defined(__thumb2__)
#define SDK_V7_PACKED_ACC_TEST "cbz %[acc], 34f\n"
#else
#define SDK_V7_PACKED_ACC_TEST "cmp %[acc], #0\n" "beq 34f\n"
#endif
#define SDK_V7_PACKED_ACC \
    SDK_V7_PACKED_ACC_TEST \
    "ldr %[cnt], [%[ep], #16]\n" \
    "mov %[t], %[dst]\n" \
    "vld1.32 {d16-d19}, [%[t]], %[cnt]\n" \
    "vld1.32 {d20-d23}, [%[t]], %[cnt]\n" \
    "vld1.32 {d24-d27}, [%[t]], %[cnt]\n" \
    "vld1.32 {d28-d31}, [%[t]]\n" \
    "b 35f\n" \
    "34:\n"
#else
#define SDK_V7_PACKED_ACC_LOAD
#define SDK_V7_PACKED_ACC
#endif
__attribute__((noinline)) void v7_packed8(const float* a, float* dst, V7Pack* ep) {
    const float* b;
    const float* bias = ep->bias;
    int32_t cnt, t, h, acc;
    asm volatile(
        SDK_V7_PACKED_ACC_LOAD
        "20:\n"
        "mov %[h], #0\n"
        "21:\n"  // one half of the group: rows 4h .. 4h + 3, 4 * K contiguous floats
        SDK_V7_PACKED_ACC
        "vldmia %[bias]!, {d16-d31}\n"  // the half's bias rows (4 x 8 floats)
        "35:\n"  // (acc)
        "ldr %[b], [%[ep], #36]\n"
        "ldr %[cnt], [%[ep], #40]\n"  // half
        "cmp %[cnt], #0\n"
        "ldr %[cnt], [%[ep], #20]\n"
        "bne 30f\n"
        "cmp %[cnt], #0\n"
        "beq 23f\n"
        "tst %[cnt], #1\n"  // 8 k a trip: an odd K / 4 enters at the second 4 k
        "add %[cnt], %[cnt], #1\n"
        "lsr %[cnt], %[cnt], #1\n"
        "bne 221f\n"
        "22:\n"
        "vldmia %[a]!, {d0-d7}\n"  // the 4 rows x 4 k (64 bytes)
        SDK_V7_VMLA4X8_K4
        "221:\n"
        "vldmia %[a]!, {d0-d7}\n"
        SDK_V7_VMLA4X8_K4
        "subs %[cnt], %[cnt], #1\n"
        "bne 22b\n"
        "23:\n"  // the K % 4 tail: per k this half's 4 rows
        "ldr %[cnt], [%[ep], #12]\n"
        "cmp %[cnt], #0\n"
        "beq 25f\n"
        "24:\n"
        "vld1.32 {d0-d1}, [%[a]]!\n"
        "vld1.32 {d8-d11}, [%[b]]!\n"
        "vmla.f32 q8, q4, d0[0]\n"
        "vmla.f32 q9, q5, d0[0]\n"
        "vmla.f32 q10, q4, d0[1]\n"
        "vmla.f32 q11, q5, d0[1]\n"
        "vmla.f32 q12, q4, d1[0]\n"
        "vmla.f32 q13, q5, d1[0]\n"
        "vmla.f32 q14, q4, d1[1]\n"
        "vmla.f32 q15, q5, d1[1]\n"
        "subs %[cnt], %[cnt], #1\n"
        "bne 24b\n"
        "b 25f\n"
        "30:\n"  // columns 0-3 only (a panel of <= 4 columns): the even accumulators
        "cmp %[cnt], #0\n"
        "beq 32f\n"
        "31:\n"
        "vldmia %[a]!, {d0-d7}\n"
        "vldmia %[b]!, {d8-d15}\n"  // q4: k, q6: k + 1 (columns 0-3)
        "vmla.f32 q8, q4, d0[0]\n"
        "vmla.f32 q10, q4, d2[0]\n"
        "vmla.f32 q12, q4, d4[0]\n"
        "vmla.f32 q14, q4, d6[0]\n"
        "vmla.f32 q8, q6, d0[1]\n"
        "vmla.f32 q10, q6, d2[1]\n"
        "vmla.f32 q12, q6, d4[1]\n"
        "vmla.f32 q14, q6, d6[1]\n"
        "vldmia %[b]!, {d8-d15}\n"
        "vmla.f32 q8, q4, d1[0]\n"
        "vmla.f32 q10, q4, d3[0]\n"
        "vmla.f32 q12, q4, d5[0]\n"
        "vmla.f32 q14, q4, d7[0]\n"
        "vmla.f32 q8, q6, d1[1]\n"
        "vmla.f32 q10, q6, d3[1]\n"
        "vmla.f32 q12, q6, d5[1]\n"
        "vmla.f32 q14, q6, d7[1]\n"
        "subs %[cnt], %[cnt], #1\n"
        "bne 31b\n"
        "32:\n"
        "ldr %[cnt], [%[ep], #12]\n"
        "cmp %[cnt], #0\n"
        "beq 25f\n"
        "33:\n"
        "vld1.32 {d0-d1}, [%[a]]!\n"
        "vld1.32 {d8-d11}, [%[b]]!\n"
        "vmla.f32 q8, q4, d0[0]\n"
        "vmla.f32 q10, q4, d0[1]\n"
        "vmla.f32 q12, q4, d1[0]\n"
        "vmla.f32 q14, q4, d1[1]\n"
        "subs %[cnt], %[cnt], #1\n"
        "bne 33b\n"
        "25:\n"  // mode 0 none, 1 Relu, 2 Clip, 3 HardSwish
        "ldr %[t], [%[ep], #8]\n"
        "cmp %[t], #0\n"
        "beq 27f\n"
        "tst %[t], #2\n"
        "bne 26f\n"
        "vmov.i32 q0, #0\n"
        "vcgt.f32 q1, q8, q0\n"
        "vand q8, q8, q1\n"
        "vcgt.f32 q1, q9, q0\n"
        "vand q9, q9, q1\n"
        "vcgt.f32 q1, q10, q0\n"
        "vand q10, q10, q1\n"
        "vcgt.f32 q1, q11, q0\n"
        "vand q11, q11, q1\n"
        "vcgt.f32 q1, q12, q0\n"
        "vand q12, q12, q1\n"
        "vcgt.f32 q1, q13, q0\n"
        "vand q13, q13, q1\n"
        "vcgt.f32 q1, q14, q0\n"
        "vand q14, q14, q1\n"
        "vcgt.f32 q1, q15, q0\n"
        "vand q15, q15, q1\n"
        "b 27f\n"
        "26:\n"
        "tst %[t], #1\n"
        "bne 29f\n"
        "vld1.32 {d0}, [%[ep]]\n"
        "vdup.32 q2, d0[0]\n"
        "vdup.32 q3, d0[1]\n"
        "vmax.f32 q8, q8, q2\n"
        "vmin.f32 q8, q8, q3\n"
        "vmax.f32 q9, q9, q2\n"
        "vmin.f32 q9, q9, q3\n"
        "vmax.f32 q10, q10, q2\n"
        "vmin.f32 q10, q10, q3\n"
        "vmax.f32 q11, q11, q2\n"
        "vmin.f32 q11, q11, q3\n"
        "vmax.f32 q12, q12, q2\n"
        "vmin.f32 q12, q12, q3\n"
        "vmax.f32 q13, q13, q2\n"
        "vmin.f32 q13, q13, q3\n"
        "vmax.f32 q14, q14, q2\n"
        "vmin.f32 q14, q14, q3\n"
        "vmax.f32 q15, q15, q2\n"
        "vmin.f32 q15, q15, q3\n"
        "b 27f\n"
        "29:\n"  // HardSwish: x * min(max(x / 6 + 0.5, 0), 1) (VMLA: neon::hardswish_f32's operations)
        "vld1.32 {d8[], d9[]}, [%[ep]]\n"  // 1 / 6 in lo
        "vmov.f32 q5, #0.5\n"
        "vmov.i32 q6, #0\n"
        "vmov.f32 q7, #1.0\n"
        "vmov q0, q5\n"
        "vmla.f32 q0, q8, q4\n"
        "vmax.f32 q0, q0, q6\n"
        "vmin.f32 q0, q0, q7\n"
        "vmul.f32 q8, q8, q0\n"
        "vmov q1, q5\n"
        "vmla.f32 q1, q9, q4\n"
        "vmax.f32 q1, q1, q6\n"
        "vmin.f32 q1, q1, q7\n"
        "vmul.f32 q9, q9, q1\n"
        "vmov q2, q5\n"
        "vmla.f32 q2, q10, q4\n"
        "vmax.f32 q2, q2, q6\n"
        "vmin.f32 q2, q2, q7\n"
        "vmul.f32 q10, q10, q2\n"
        "vmov q3, q5\n"
        "vmla.f32 q3, q11, q4\n"
        "vmax.f32 q3, q3, q6\n"
        "vmin.f32 q3, q3, q7\n"
        "vmul.f32 q11, q11, q3\n"
        "vmov q0, q5\n"
        "vmla.f32 q0, q12, q4\n"
        "vmax.f32 q0, q0, q6\n"
        "vmin.f32 q0, q0, q7\n"
        "vmul.f32 q12, q12, q0\n"
        "vmov q1, q5\n"
        "vmla.f32 q1, q13, q4\n"
        "vmax.f32 q1, q1, q6\n"
        "vmin.f32 q1, q1, q7\n"
        "vmul.f32 q13, q13, q1\n"
        "vmov q2, q5\n"
        "vmla.f32 q2, q14, q4\n"
        "vmax.f32 q2, q2, q6\n"
        "vmin.f32 q2, q2, q7\n"
        "vmul.f32 q14, q14, q2\n"
        "vmov q3, q5\n"
        "vmla.f32 q3, q15, q4\n"
        "vmax.f32 q3, q3, q6\n"
        "vmin.f32 q3, q3, q7\n"
        "vmul.f32 q15, q15, q3\n"
        "27:\n"
        "ldr %[t], [%[ep], #16]\n"
        "vst1.32 {d16-d19}, [%[dst]], %[t]\n"
        "vst1.32 {d20-d23}, [%[dst]], %[t]\n"
        "vst1.32 {d24-d27}, [%[dst]], %[t]\n"
        "vst1.32 {d28-d31}, [%[dst]], %[t]\n"
        "cmp %[h], #0\n"
        "bne 28f\n"
        "mov %[h], #1\n"  // a: the second half
        "b 21b\n"
        "28:\n"  // a: the next group
        "ldr %[t], [%[ep], #32]\n"
        "subs %[t], %[t], #1\n"
        "str %[t], [%[ep], #32]\n"
        "bne 20b\n"
        : [a] "+r"(a), [dst] "+r"(dst), [bias] "+r"(bias), [b] "=&r"(b), [cnt] "=&r"(cnt),
          [t] "=&r"(t), [h] "=&r"(h), [acc] "=&l"(acc)
        : [ep] "r"(ep)
        : "cc", "memory", "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "q12", "q13",
          "q14", "q15");
}
#endif

// The epilogue of a tile's `rows` rows of sums (row r's 8 at acc + 8r): alpha, the row bias,
// accumulate, Relu/Clip by compare + select (act_f32's exact semantics, NaN included), other
// activations over the stored row. One copy, a loop over the rows, for every tile height
// (each unrolled copy cost ~1 KB of the library: the example SDK's size goal).
__attribute__((noinline)) void epi_rows(const float* acc, int rows, float* C, int64_t ldc, int w,
                                        const GemmEpilogue& e, int64_t row0) {
    const bool relu = e.act.kind == kActRelu, clip = e.act.kind == kActClip;
    const float32x4_t zero = vdupq_n_f32(0.0f), lo = vdupq_n_f32(e.act.lo), hi = vdupq_n_f32(e.act.hi);
    for (int r = 0; r < rows; ++r) {
        float32x4_t o0 = vld1q_f32(acc + r * kNR), o1 = vld1q_f32(acc + r * kNR + 4);
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
                o0 = vbslq_f32(neon_cgt(o0, zero), o0, zero);
                o1 = vbslq_f32(neon_cgt(o1, zero), o1, zero);
            }
            if (clip) {
                o0 = vbslq_f32(neon_clt(o0, lo), lo, o0);
                o1 = vbslq_f32(neon_clt(o1, lo), lo, o1);
                o0 = vbslq_f32(neon_cgt(o0, hi), hi, o0);
                o1 = vbslq_f32(neon_cgt(o1, hi), hi, o1);
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

template <int MR>
SDK_NEON_HOT inline void tile(int K, const float* A, int64_t ars, const float* panel, float* C, int64_t ldc, int w,
                              const GemmEpilogue& e, int64_t row0) {
    constexpr int64_t acs = 1;  // rows of A contiguous (sgemm_packed takes the portable tile otherwise)
    float32x4_t c0[MR], c1[MR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) c0[r] = c1[r] = vdupq_n_f32(0.0f);
    const float* a[MR];
    SDK_UNROLL for (int r = 0; r < MR; ++r) a[r] = A + r * ars;
    int k = 0;
#if defined(__aarch64__)
    if constexpr (MR == 8) {
        if (acs == 1) {
            V8Epi ep;
            ep.ktail = K & 3;
            const int kind = e.act.kind;
            if (w == kNR && e.alpha == 1.0f && !e.accumulate &&
                (kind == kActNone || kind == kActRelu ||
                 (kind == kActClip && e.act.lo <= e.act.hi))) {  // the whole epilogue in the kernel
                static const float kZero8[8] = {};  // no bias: the accumulators start at +0, the plain sums
                ep.bias = e.row_bias ? e.row_bias + row0 : kZero8;
                ep.lo = e.act.lo;
                ep.hi = e.act.hi;
                ep.mode = kind == kActRelu ? 1 : (kind == kActClip ? 2 : 0);
                ep.ldc_bytes = ldc * (int64_t)sizeof(float);
                a64_tile8x8(A, ars * (int64_t)sizeof(float), panel, K / 4, C, &ep);
                return;
            }
            float acc[8 * kNR] __attribute__((aligned(16)));
            ep.mode = -1;
            ep.ldc_bytes = kNR * sizeof(float);
            a64_tile8x8(A, ars * (int64_t)sizeof(float), panel, K / 4, acc, &ep);
            return epi_rows(acc, MR, C, ldc, w, e, row0);
        }
    }
#endif
#if !defined(__aarch64__)
    if constexpr (MR == 4) {
        if (acs == 1) {
            V7Epi ep;
            ep.ktail = K & 3;
            const int kind = e.act.kind;
            if (w == kNR && e.alpha == 1.0f && !e.accumulate &&
                (kind == kActNone || kind == kActRelu ||
                 (kind == kActClip && e.act.lo <= e.act.hi))) {  // the whole epilogue in the kernel
                vst1q_f32(ep.bias, e.row_bias ? vaddq_f32(vld1q_f32(e.row_bias + row0), vdupq_n_f32(0.0f)) : vdupq_n_f32(0.0f));
                ep.lo = e.act.lo;
                ep.hi = e.act.hi;
                ep.mode = kind == kActRelu ? 1 : (kind == kActClip ? 2 : 0);
                ep.ldc_bytes = (int32_t)(ldc * (int64_t)sizeof(float));
                v7_tile4x8(a[0], a[1], a[2], a[3], panel, K / 4, C, &ep);
                return;
            }
            float acc[4 * kNR] __attribute__((aligned(16)));
            ep.mode = -1;
            vst1q_f32(ep.bias, vdupq_n_f32(0.0f));
            ep.ldc_bytes = kNR * sizeof(float);
            v7_tile4x8(a[0], a[1], a[2], a[3], panel, K / 4, acc, &ep);
            SDK_UNROLL for (int r = 0; r < MR; ++r) {
                c0[r] = vld1q_f32(acc + r * kNR);
                c1[r] = vld1q_f32(acc + r * kNR + 4);
            }
            k = K;
        }
    }
#endif
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
    float acc[MR * kNR] __attribute__((aligned(16)));
    SDK_UNROLL for (int r = 0; r < MR; ++r) {
        vst1q_f32(acc + r * kNR, c0[r]);
        vst1q_f32(acc + r * kNR + 4, c1[r]);
    }
    epi_rows(acc, MR, C, ldc, w, e, row0);
}

}  // namespace

SDK_NEON_HOT void neon_sgemm_packed(int64_t M, int nc, int K, const float* A, int64_t ars, int64_t acs,
                                    const float* Bp, float* C, int64_t ldc, const GemmEpilogue& eo) {
    // Activations other than Relu/Clip (HardSwish, Sigmoid, SiLU) run over each row of the
    // nc columns once all panels are stored: one act_span_f32 call per row instead of one
    // per 8 floats (each Sigmoid/SiLU call sets up its constants again, which cost more than
    // the 8 floats' arithmetic). The same values, applied to the same stored results.
    // Clip with lo > hi too: the registers' MAX-then-MIN would give hi where act_f32 gives lo.
    const bool late = eo.act.kind != kActNone && eo.act.kind != kActRelu &&
                      !(eo.act.kind == kActClip && eo.act.lo <= eo.act.hi);
    GemmEpilogue el = eo;
    if (late) el.act.kind = kActNone;
    const GemmEpilogue& e = el;
    // Whole panels of the common case (a conv's weights, bias + nothing/Relu/Clip): the
    // assembly tile called straight from here with its epilogue record filled once per call
    // (through tile<>, ~40 instructions a tile went to its set-up: a pointwise layer's short
    // K makes that a quarter of the tile's own work on ARMv7).
    const int kind = e.act.kind;
    const bool direct = acs == 1 && e.alpha == 1.0f && !e.accumulate &&
                        (kind == kActNone || kind == kActRelu || kind == kActClip);  // (a Clip left is lo <= hi)
#if defined(__aarch64__)
    static const float kZeroRows[kNeonRows] = {};  // no bias: the accumulators start at +0, the plain sums
    V8Epi ep;
    ep.ldc_bytes = ldc * (int64_t)sizeof(float);
#else
    V7Epi ep;
    ep.ldc_bytes = (int32_t)(ldc * (int64_t)sizeof(float));
#endif
    ep.ktail = K & 3;
    ep.lo = e.act.lo;
    ep.hi = e.act.hi;
    ep.mode = kind == kActRelu ? 1 : (kind == kActClip ? 2 : 0);
    for (int p = 0; p < nc; p += kNR) {
        const int w = nc - p < kNR ? nc - p : kNR;
        const float* panel = Bp + (int64_t)(p / kNR) * K * kNR;
        int64_t m = 0;
        if (direct && w == kNR) {
            for (; m + kNeonRows <= M; m += kNeonRows) {
#if defined(__aarch64__)
                ep.bias = e.row_bias ? e.row_bias + m : kZeroRows;
#else
                vst1q_f32(ep.bias, e.row_bias ? vaddq_f32(vld1q_f32(e.row_bias + m), vdupq_n_f32(0.0f)) : vdupq_n_f32(0.0f));
#endif
                const float* a0 = A + m * ars;
#if defined(__aarch64__)
                a64_tile8x8(a0, ars * (int64_t)sizeof(float), panel, K / 4, C + m * ldc + p, &ep);
#else
                v7_tile4x8(a0, a0 + ars, a0 + 2 * ars, a0 + 3 * ars, panel, K / 4, C + m * ldc + p, &ep);
#endif
            }
        }
        for (; m + kNeonRows <= M; m += kNeonRows)
            tile<kNeonRows>(K, A + m * ars, ars, panel, C + m * ldc + p, ldc, w, e, m);
        for (; m + 4 <= M; m += 4) tile<4>(K, A + m * ars, ars, panel, C + m * ldc + p, ldc, w, e, m);
        for (; m < M; ++m) tile<1>(K, A + m * ars, ars, panel, C + m * ldc + p, ldc, w, e, m);
    }
    if (late) {  // rows back to back (ldc == nc: a conv's planes, an SE block's 1-column rows): one call
        if (ldc == nc) return act_span_f32(C, M * nc, eo.act);
        for (int64_t m = 0; m < M; ++m) act_span_f32(C + m * ldc, nc, eo.act);
    }
}


// ---- A packed once (a conv's weights, at load): see sgemm_f32.h for the layout.
// (Rolled, size-first: ~1.7 instructions per weight on arm64; unrolled 0.66, +248 B.)
void neon_sgemm_pack_a(const float* A, int64_t ars, int64_t M8, int K, float* out) {
#if !defined(__aarch64__)  // ARMv7: each half-group of 4 rows on its own (one VLDM per 4 k of a 4 x 8 tile)
    for (int64_t g = 0; g < M8; g += kPackHalf) {
        const float* a = A + g * ars;
        int k = 0;
        for (; k + 4 <= K; k += 4)
            for (int r = 0; r < kPackHalf; ++r, out += 4) vst1q_f32(out, vld1q_f32(a + r * ars + k));
        for (; k < K; ++k)
            for (int r = 0; r < kPackHalf; ++r) *out++ = a[r * ars + k];
    }
#else
    for (int64_t g = 0; g < M8; g += kPackRows) {
        const float* a = A + g * ars;
        int k = 0;
        for (; k + 4 <= K; k += 4)
            for (int r = 0; r < kPackRows; ++r, out += 4) vst1q_f32(out, vld1q_f32(a + r * ars + k));
        for (; k < K; ++k)
            for (int r = 0; r < kPackRows; ++r) *out++ = a[r * ars + k];
    }
#endif
}

// The tiles' bias rows for rows m0 .. m0 + n - 1 (n: a multiple of 8): each row's bias + 0 (a
// -0 bias as +0, so an all-zero sum is +0 as ref's) in 8 floats, so a tile starts its
// accumulators with plain loads. 4 rows a trip (~3 instructions a row; rebuilt per call).
static void bias_rows(const float* bias, int64_t m0, int n, float* out) {
    const float32x4_t zero = vdupq_n_f32(0.0f);
    for (int r = 0; r < n; r += 4, out += 4 * kNR) {
        const float32x4_t v = bias ? vaddq_f32(vld1q_f32(bias + m0 + r), zero) : zero;
        const float32x2_t lo = vget_low_f32(v), hi = vget_high_f32(v);  // (lane numbers: constants, for clang)
        const float32x4_t d0 = vdupq_lane_f32(lo, 0), d1 = vdupq_lane_f32(lo, 1), d2 = vdupq_lane_f32(hi, 0),
                          d3 = vdupq_lane_f32(hi, 1);
        vst1q_f32(out, d0);
        vst1q_f32(out + 4, d0);
        vst1q_f32(out + 8, d1);
        vst1q_f32(out + 12, d1);
        vst1q_f32(out + 16, d2);
        vst1q_f32(out + 20, d2);
        vst1q_f32(out + 24, d3);
        vst1q_f32(out + 28, d3);
    }
}

SDK_NEON_HOT void neon_sgemm_packed_a(int64_t M8, int nc, int K, const float* Ap, const float* Bp, float* C,
                                      int64_t ldc, const GemmEpilogue& eo) {
    // Relu, Clip (lo <= hi) and HardSwish in the tile; Sigmoid/SiLU over the stored rows
    // afterwards (neon_sgemm_packed's order: the same values).
    int kind = eo.act.kind;
    const bool late = !(kind == kActNone || kind == kActRelu || kind == kActHardSwish ||
                        (kind == kActClip && eo.act.lo <= eo.act.hi));
    if (late) kind = kActNone;
    constexpr int kChunk = 64;  // rows a chunk of bias rows covers (2 KB on the stack)
    float rows[kChunk * kNR] __attribute__((aligned(16)));
    float tmp[kPackRows * kNR] __attribute__((aligned(16)));  // a partial panel's tile
#if defined(__aarch64__)
    V8Epi ep;
#else
    V7Pack ep;
    ep.kq = K / 4;
#endif
    ep.ktail = K & 3;
    ep.lo = kind == kActHardSwish ? 1.0f / 6.0f : eo.act.lo;
    ep.hi = eo.act.hi;
    ep.mode = kind == kActRelu ? 1 : (kind == kActClip ? 2 : (kind == kActHardSwish ? 3 : 0));
#if SDK_FEATURE_WINOGRAD
    ep.acc = eo.accumulate;
#endif
    for (int64_t m0 = 0; m0 < M8; m0 += kChunk) {  // the rows in chunks, all panels each
        const int mc = M8 - m0 < kChunk ? (int)(M8 - m0) : kChunk;
        bias_rows(eo.row_bias, m0, mc, rows);
        const float* ac = Ap + m0 * K;
        float* cc = C + m0 * ldc;
        for (int p = 0; p < nc; p += kNR) {
            const int w = nc - p < kNR ? nc - p : kNR;
            const float* panel = Bp + (int64_t)(p / kNR) * K * kNR;
            const int64_t ld = w == kNR ? ldc : kNR;  // a partial panel: into tmp, then its w columns
            ep.ldc_bytes = (decltype(ep.ldc_bytes))(ld * (int64_t)sizeof(float));
#if !defined(__aarch64__)
            ep.panel = panel;
#endif
            if (w == kNR) {  // all the groups in one call
                ep.bias = rows;
                ep.groups = mc / kPackRows;
                ep.half = 0;
#if defined(__aarch64__)
                a64_packed8(ac, panel, K / 4, cc + p, &ep);
#else
                v7_packed8(ac, cc + p, &ep);
#endif
                continue;
            }
#if defined(__aarch64__)
            ep.half = w == 1;  // (7x7 maps: 49 = 6 x 8 + 1 columns; N = 1)
#else
            ep.half = w <= 4;  // (7x7 maps: 49 = 6 x 8 + 1 columns)
#endif
            for (int m = 0; m < mc; m += kPackRows) {
                ep.groups = 1;  // (ARMv7's assembly counts it down in the record)
#if SDK_FEATURE_WINOGRAD
                if (eo.accumulate)  // the sums so far into the tile
                    for (int r = 0; r < kPackRows; ++r)
                        memcpy(tmp + r * kNR, cc + (m + r) * ldc + p, (size_t)w * sizeof(float));
#endif
                ep.bias = rows + m * kNR;
#if defined(__aarch64__)
                a64_packed8(ac + m * K, panel, K / 4, tmp, &ep);
#else
                v7_packed8(ac + m * K, tmp, &ep);
#endif
                if (w == 1)  // (7x7 / 13x13 maps' last column, N = 1: a memcpy call a value cost more)
                    for (int r = 0; r < kPackRows; ++r) cc[(m + r) * ldc + p] = tmp[r * kNR];
                else
                    for (int r = 0; r < kPackRows; ++r)
                        memcpy(cc + (m + r) * ldc + p, tmp + r * kNR, (size_t)w * sizeof(float));
            }
        }
    }
    if (late) {  // (ldc == nc: one call, as in neon_sgemm_packed)
        if (ldc == nc) return act_span_f32(C, M8 * nc, eo.act);
        for (int64_t m = 0; m < M8; ++m) act_span_f32(C + m * ldc, nc, eo.act);
    }
}

}  // namespace ref
}  // namespace sdk
#endif
