// Winograd F(4x4, 3x3) fp32 convolution: dense 3x3, stride 1, dilation 1, one group. On ARM,
// output planes below 13x13 (resnet18's 7x7) take F(2x2, 3x3) instead (2x2 tiles from 4x4
// windows, 16 matrices: the same driver with MT = 2, NEON transforms only).
//
// Per (image, block of whole tile rows, block of output channels), one task:
//   1. input transform  V[xi][c][t] = (B^T d B)[xi] of the 6x6 input window of 4x4 output
//      tile t, written straight into the GEMM's packed panel layout (panel of NR tiles: C
//      rows of NR floats), so no packing pass. Reused by the next task of the same thread
//      when it is the same tile block (tasks are tile-block-major).
//   2. weight transform U[xi][o][c] = (G g G^T)[xi] of the block's output channels, at run
//      time into scratch: kept from prepare it would be 36/9 = 4x the 3x3 weights in memory
//      (resnet18: +176 MB over 46 MB of weights), see docs/winograd.md for the figures. ARM's
//      F(2x2) layers (16/9 of the weights) keep it from load instead (conv_f32_wino_keep).
//   3. 36 GEMMs M[xi] = U[xi] (ob x C) * V[xi] (C x tiles) through the tier's packed-GEMM
//      micro-kernel (x86: the AVX2/AVX-512 16-column kernel; ARM: the NEON tile; else the
//      portable one), so GEMM improvements speed this up too.
//   4. output transform y = A^T M A per tile, bias and the fused activation (Relu/Clip in
//      registers, the others over the block's output rows while they are in cache).
// Transforms run 4 tiles (or 4 input channels) per vector: GCC/Clang vector extensions (SSE on
// x86, any other ISA), NEON intrinsics on arm64/ARMv7 (GCC runs generic vectors as scalar VFP
// on ARMv7). Accuracy: F(4,3)'s transforms with the points 0, +-1, +-2, inf
// (exact in binary but 1/6, 1/12, 1/24) grow the rounding error ~10x over a direct sum;
// engine/tests/test_kernels.cpp checks it against a double-precision direct convolution.
#include <stddef.h>
#include <string.h>
#include <stdlib.h>

#include "kernels/ref/conv.h"
#include "kernels/ref/sgemm_f32.h"
#include "kernels/unroll.h"
#if SDK_FEATURE_X86
#include "kernels/sgemm_x86.h"
#if defined(__x86_64__)
#include <immintrin.h>
#define SDK_WINO_AVX512 1
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12's AVX-512 intrinsics pass an undefined vector as the unused merge source (as in
// kernels/x86/conv_f32_avx512.cpp)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#define SDK_WINO_NEON 1
#include <arm_neon.h>

#include "kernels/neon/cmp_neon.h"
#if defined(__aarch64__)
#include "kernels/neon/sgemm_a64_asm.h"
#else
#include "kernels/neon/sgemm_v7_asm.h"
#endif
#else
#define SDK_WINO_NEON 0
#endif

#if SDK_FEATURE_WINOGRAD  // the Meson option `winograd` (sdkbuild build: only for models with such a conv)
namespace sdk {
namespace ref {

namespace {

// -1 auto (the rule); 0 off; 1 on wherever it applies; ARM test hooks: 2 as 1 with F(2x2) on every
// plane, 3 as 1 with F(4x4) on every plane
int g_wino = -1;

constexpr int kWinoPanel = 16;   // scratch sized for the widest panel (x86: 16)
constexpr int kWinoTiles = 64;   // tiles per block (whole tile rows): U is redone per block when OC > one block
#if SDK_FEATURE_X86
// output channels per block. x86: 24 (two 12-row AVX-512 tiles, four 6-row AVX2 ones): the
// block's transformed weights U (24 x C x 36 floats: 885 KB at C = 256) and the tile block's V
// stay in L2 while the 36 GEMMs read them; with 64 rows (2.4 MB) the weight transform and the
// GEMMs went through L3 (256 -> 256 channels on 14x14: 12-15 % slower)
constexpr int kWinoOb = 24;
#else
constexpr int kWinoOb = 64;      // output channels per block: the input transform is redone per block
#endif
// Floats added to each of the 36 matrices' stride in V, U and M: the transforms touch all
// 36 at once, and power-of-two strides (64 x 512 channels...) put them in one cache set.
constexpr int kWinoSkew = 16;
// ARM: the smallest plane F(2x2,3x3) takes (below 13x13; bench/wino_count.py)
constexpr int kWino2Min = 6;

// The 36-vector loops of the transforms fully unrolled on x86 (their vectors stay in registers:
// 1.8x faster per layer); rolled on ARM, where the all-ops library's size budget counts (the
// unrolled driver is ~1.3 KB larger on arm64 and saves ~5% of resnet18's instructions).
#if defined(__x86_64__) || defined(__i386__)
#define SDK_WINO_UNROLL SDK_UNROLL
#else
#define SDK_WINO_UNROLL
#endif

// The transforms at -O2 whatever the build type (GCC at -Os keeps the 36 vectors of a tile
// in memory); Clang allocates them well at -Os and has no per-function optimize attribute.
#if defined(__GNUC__) && !defined(__clang__)
#define SDK_WINO_HOT __attribute__((optimize("O2")))
// and without the scheduling pass before register allocation, which spilled the output
// transform's 24 column-pass vectors (as SDK_NEON_HOT does for the GEMM tiles)
#define SDK_WINO_HOT_NS __attribute__((optimize("O2", "no-schedule-insns")))
// (the arm64 weight transform: also its products and sums as written, not contracted into
// multiply-adds that overwrite a value still needed, which took register copies)
#define SDK_WINO_HOT_NSC __attribute__((optimize("O2", "no-schedule-insns", "fp-contract=off")))
#else
#define SDK_WINO_HOT
#define SDK_WINO_HOT_NS
#define SDK_WINO_HOT_NSC
#endif

__attribute__((always_inline)) inline void wv_load(v4f* v, const float* p) { memcpy(v, p, sizeof *v); }
__attribute__((always_inline)) inline void wv_store(float* p, v4f v) { memcpy(p, &v, sizeof v); }

// 6 -> 6: B^T d (d0..d5 of one row or column of the input window)
__attribute__((always_inline)) inline void in_1d(const v4f* d, int ds, v4f* t, int ts) {
    const v4f d0 = d[0], d1 = d[ds], d2 = d[2 * ds], d3 = d[3 * ds], d4 = d[4 * ds], d5 = d[5 * ds];
    const v4f s1 = d4 - 4.0f * d2, s2 = d3 - 4.0f * d1, s3 = d4 - d2, s4 = 2.0f * (d3 - d1);
    t[0] = 4.0f * d0 - 5.0f * d2 + d4;
    t[ts] = s1 + s2;
    t[2 * ts] = s1 - s2;
    t[3 * ts] = s3 + s4;
    t[4 * ts] = s3 - s4;
    t[5 * ts] = 4.0f * d1 - 5.0f * d3 + d5;
}

// 6 -> 4: A^T m
__attribute__((always_inline)) inline void out_1d(const v4f* m, int ms, v4f* o, int os) {
    const v4f a = m[ms] + m[2 * ms], b = m[ms] - m[2 * ms], c = m[3 * ms] + m[4 * ms], d = m[3 * ms] - m[4 * ms];
    o[0] = m[0] + a + c;
    o[os] = b + 2.0f * d;
    o[2 * os] = a + 4.0f * c;
    o[3 * os] = b + 8.0f * d + m[5 * ms];
}

// 3 -> 6: G g
__attribute__((always_inline)) inline void w_1d(const v4f* g, int gs, v4f* u, int us) {
    const v4f g0 = g[0], g1 = g[gs], g2 = g[2 * gs];
    const v4f a = (g0 + g2) * (-1.0f / 6.0f), b = g1 * (-1.0f / 6.0f);
    const v4f c = g0 * (1.0f / 24.0f) + g2 * (1.0f / 6.0f), d = g1 * (1.0f / 12.0f);
    u[0] = g0 * 0.25f;
    u[us] = a + b;
    u[2 * us] = a - b;
    u[3 * us] = c + d;
    u[4 * us] = c - d;
    u[5 * us] = g2;
}

typedef int32_t wv4m __attribute__((vector_size(16)));  // lane masks of v4f comparisons

__attribute__((always_inline)) inline v4f wino_sel(wv4m m, v4f a, v4f b) {
    return (v4f)(((wv4m)a & m) | ((wv4m)b & ~m));
}

// Relu / Clip as act_f32 computes them (NaN: Relu 0, Clip passes it)
__attribute__((always_inline)) inline v4f wino_act4(v4f x, const ActParams& a) {
    const v4f zero = {0.0f, 0.0f, 0.0f, 0.0f};
    if (a.kind == kActRelu) return wino_sel((wv4m)(x > zero), x, zero);
    const v4f l = zero + a.lo, h = zero + a.hi;
    x = wino_sel((wv4m)(x > h), h, x);
    return wino_sel((wv4m)(x < l), l, x);
}

#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
#define SDK_WINO_SHUFFLE 1
// r[k] = {a[k], b[k], c[k], d[k]} for the rows a..d of a 4x4 block
__attribute__((always_inline)) inline void transpose4(v4f a, v4f b, v4f c, v4f d, v4f* r, int rs) {
    const v4f ab0 = __builtin_shufflevector(a, b, 0, 4, 1, 5), ab1 = __builtin_shufflevector(a, b, 2, 6, 3, 7);
    const v4f cd0 = __builtin_shufflevector(c, d, 0, 4, 1, 5), cd1 = __builtin_shufflevector(c, d, 2, 6, 3, 7);
    r[0] = __builtin_shufflevector(ab0, cd0, 0, 1, 4, 5);
    r[rs] = __builtin_shufflevector(ab0, cd0, 2, 3, 6, 7);
    r[2 * rs] = __builtin_shufflevector(ab1, cd1, 0, 1, 4, 5);
    r[3 * rs] = __builtin_shufflevector(ab1, cd1, 2, 3, 6, 7);
}
#else
#define SDK_WINO_SHUFFLE 0
#endif

#if SDK_WINO_NEON
// ---- ARM (arm64 and ARMv7): the transforms in NEON intrinsics. GCC runs generic-vector
// float arithmetic as scalar VFP code on ARMv7 (NEON flushes denormals, so GCC keeps IEEE
// arithmetic off it unless -ffast-math): with the generic code squeezenet1_1 cost more
// instructions with Winograd than without. Intrinsics are NEON whatever the flags
// (tests/test_neon_codegen.py guards it). Multiply-adds by a constant: FMLA by element on
// arm64, VMLA by scalar on ARMv7 (no VFPv4 FMA in the armeabi-v7a baseline). The passes
// stream: the second 1-D pass of the input and weight transforms stores straight into the
// GEMM's operands and the output transform's first pass loads straight from M, with no
// 36-vector copy in between (rows of 4 whole tiles: VLD4/VST4 do the 4x4 transposes).
typedef float32x4_t wv;
__attribute__((always_inline)) inline wv w_add(wv a, wv b) { return vaddq_f32(a, b); }
__attribute__((always_inline)) inline wv w_sub(wv a, wv b) { return vsubq_f32(a, b); }
__attribute__((always_inline)) inline wv w_mul(wv a, float s) { return vmulq_n_f32(a, s); }
#if defined(__aarch64__)
__attribute__((always_inline)) inline wv w_mla(wv a, wv b, float s) { return vfmaq_n_f32(a, b, s); }  // a + b s
__attribute__((always_inline)) inline wv w_mls(wv a, wv b, float s) { return vfmsq_n_f32(a, b, s); }  // a - b s
#else
__attribute__((always_inline)) inline wv w_mla(wv a, wv b, float s) { return vmlaq_n_f32(a, b, s); }
__attribute__((always_inline)) inline wv w_mls(wv a, wv b, float s) { return vmlsq_n_f32(a, b, s); }
#endif
// Relu with act_f32's values (x > 0 ? x : 0): the output transforms' values are FADD/FMLA
// results, so a NaN among them is quiet, and AArch64's FMAXNM with 0 gives 0 for it, +0 for -0,
// a positive denormal itself: one instruction a vector (compare + select took two). ARMv7 has
// no VMAXNM, and its VMAX would flush denormals.
__attribute__((always_inline)) inline wv w_relu(wv x, wv zero) {
#if defined(__aarch64__)
    return vmaxnmq_f32(x, zero);
#else
    return vbslq_f32(neon_cgt(x, zero), x, zero);
#endif
}

// One vector at p, then p += bytes (LD1 / VLD1 with a register post-increment: GCC worked out the
// 36 matrices' offsets of a transform one by one, ~2 instructions a load, and spilled them).
__attribute__((always_inline)) inline wv wino_ld_step(const float*& p, int64_t bytes) {
    wv v;
#if defined(__aarch64__)
    asm("ld1 {%0.4s}, [%1], %3" : "=w"(v), "+r"(p) : "m"(*(const float(*)[4])p), "r"(bytes));
#else
    asm("vld1.32 {%e0-%f0}, [%1], %3" : "=w"(v), "+r"(p) : "m"(*(const float(*)[4])p), "r"((int32_t)bytes));
#endif
    return v;
}

// v to p, then p += bytes (ST1 / VST1 with a register post-increment)
__attribute__((always_inline)) inline void wino_st_step(float*& p, wv v, int64_t bytes) {
#if defined(__aarch64__)
    asm("st1 {%2.4s}, [%1], %3" : "=m"(*(float(*)[4])p), "+r"(p) : "w"(v), "r"(bytes));
#else
    asm("vst1.32 {%e2-%f2}, [%1], %3" : "=m"(*(float(*)[4])p), "+r"(p) : "w"(v), "r"((int32_t)bytes));
#endif
}

// 6 -> 6: B^T d
__attribute__((always_inline)) inline void in_1d_n(const wv* d, int ds, wv* t) {
    const wv d0 = d[0], d1 = d[ds], d2 = d[2 * ds], d3 = d[3 * ds], d4 = d[4 * ds], d5 = d[5 * ds];
    // (in an order where each multiply-add overwrites a value at its last use: no register copies;
    // 4 d0 and 2 e are exact, so d4 + 4 d0 and s3 +- 2 e are rounded once, as by a multiply-add)
    const wv s3 = w_sub(d4, d2), e = w_sub(d3, d1);
    t[5] = w_mls(w_mla(d5, d1, 4.0f), d3, 5.0f);
    const wv s2 = w_mls(d3, d1, 4.0f);
    t[0] = w_mls(w_add(d4, w_mul(d0, 4.0f)), d2, 5.0f);
    const wv s1 = w_mls(d4, d2, 4.0f);
    t[1] = w_add(s1, s2);
    t[2] = w_sub(s1, s2);
    const wv e2 = w_add(e, e);
    t[3] = w_add(s3, e2);
    t[4] = w_sub(s3, e2);
}

// 6 -> 4: A^T m
// (m[1] enters every output with weight 1, A^T e1 = (1, 1, 1, 1), so a bias b added to M[1][1]
// alone adds b to each of the 16 outputs of A^T M A: the NEON output transforms add it there, one
// add per 4 tiles (lanes) and channel where there were 16; b is then rounded in with M's sums, well
// inside the Winograd tolerance.)
__attribute__((always_inline)) inline void out_1d_n(const wv* m, int ms, wv* o, int os) {
    const wv a = w_add(m[ms], m[2 * ms]), b = w_sub(m[ms], m[2 * ms]);
    const wv c = w_add(m[3 * ms], m[4 * ms]), d = w_sub(m[3 * ms], m[4 * ms]);
    o[0] = w_add(w_add(m[0], a), c);  // (each of a, b last used by the multiply-add that overwrites it:
    o[3 * os] = w_mla(w_add(b, m[5 * ms]), d, 8.0f);  // no register copies)
    o[2 * os] = w_mla(a, c, 4.0f);
    o[os] = w_mla(b, d, 2.0f);
}

// 3 -> 6: G g
__attribute__((always_inline)) inline void w_1d_n(const wv* g, int gs, wv* u, int us) {
    const wv g0 = g[0], g1 = g[gs], g2 = g[2 * gs];
    const wv a = w_mul(w_add(g0, g2), -1.0f / 6.0f), b = w_mul(g1, -1.0f / 6.0f);
    const wv c = w_mla(w_mul(g0, 1.0f / 24.0f), g2, 1.0f / 6.0f), d = w_mul(g1, 1.0f / 12.0f);
    u[0] = w_mul(g0, 0.25f);
    u[us] = w_add(a, b);
    u[2 * us] = w_sub(a, b);
    u[3 * us] = w_add(c, d);
    u[4 * us] = w_sub(c, d);
    u[5 * us] = g2;
}


// G[k] lane l = wp[l * 9 + k] (the 3x3 kernels of 4 input channels, tap k of each in the lanes):
// per channel its taps 0-3, 4-7 and 5-8 loaded whole, then 4x4 transposes (VLD4 to lane kept
// GCC's register structs on the stack).
#if defined(__aarch64__)  // ZIP1/ZIP2 of 64-bit lanes (GCC made vcombine(vget_low...) 2 MOVs)
__attribute__((always_inline)) inline wv w_lo2(wv a, wv b) {
    return vreinterpretq_f32_f64(vzip1q_f64(vreinterpretq_f64_f32(a), vreinterpretq_f64_f32(b)));
}
__attribute__((always_inline)) inline wv w_hi2(wv a, wv b) {
    return vreinterpretq_f32_f64(vzip2q_f64(vreinterpretq_f64_f32(a), vreinterpretq_f64_f32(b)));
}
#else
__attribute__((always_inline)) inline wv w_lo2(wv a, wv b) { return vcombine_f32(vget_low_f32(a), vget_low_f32(b)); }
__attribute__((always_inline)) inline wv w_hi2(wv a, wv b) { return vcombine_f32(vget_high_f32(a), vget_high_f32(b)); }
#endif
__attribute__((always_inline)) inline void wino_taps4_tr(const float* wp, wv* G) {
    SDK_UNROLL for (int h = 0; h < 2; ++h) {
        const float32x4x2_t t01 = vtrnq_f32(vld1q_f32(wp + 4 * h), vld1q_f32(wp + 9 + 4 * h));
        const float32x4x2_t t23 = vtrnq_f32(vld1q_f32(wp + 18 + 4 * h), vld1q_f32(wp + 27 + 4 * h));
        G[4 * h] = w_lo2(t01.val[0], t23.val[0]);
        G[4 * h + 1] = w_lo2(t01.val[1], t23.val[1]);
        G[4 * h + 2] = w_hi2(t01.val[0], t23.val[0]);
        G[4 * h + 3] = w_hi2(t01.val[1], t23.val[1]);
    }
    // tap 8: lane 3 of taps 5-8
    const float32x4x2_t z01 = vzipq_f32(vld1q_f32(wp + 5), vld1q_f32(wp + 14));  // .val[1]: taps 7, 7, 8, 8
    const float32x4x2_t z23 = vzipq_f32(vld1q_f32(wp + 23), vld1q_f32(wp + 32));
    G[8] = w_hi2(z01.val[1], z23.val[1]);
}
__attribute__((always_inline)) inline void wino_taps4(const float* wp, wv* G) {
#if defined(__aarch64__)
    wino_taps4_tr(wp, G);
#else  // ARMv7, F(4x4): VLD4 to lane (with one call per 4 channels, fewer instructions; bench/wino_count.py)
    float32x4x4_t a, b;
    a.val[0] = a.val[1] = a.val[2] = a.val[3] = b.val[0] = b.val[1] = b.val[2] = b.val[3] = vdupq_n_f32(0.0f);
    wv g8 = a.val[0];
    a = vld4q_lane_f32(wp, a, 0);
    b = vld4q_lane_f32(wp + 4, b, 0);
    g8 = vld1q_lane_f32(wp + 8, g8, 0);
    a = vld4q_lane_f32(wp + 9, a, 1);
    b = vld4q_lane_f32(wp + 13, b, 1);
    g8 = vld1q_lane_f32(wp + 17, g8, 1);
    a = vld4q_lane_f32(wp + 18, a, 2);
    b = vld4q_lane_f32(wp + 22, b, 2);
    g8 = vld1q_lane_f32(wp + 26, g8, 2);
    a = vld4q_lane_f32(wp + 27, a, 3);
    b = vld4q_lane_f32(wp + 31, b, 3);
    g8 = vld1q_lane_f32(wp + 35, g8, 3);
    SDK_UNROLL for (int k = 0; k < 4; ++k) {
        G[k] = a.val[k];
        G[4 + k] = b.val[k];
    }
    G[8] = g8;
#endif
}

// The input transform of the 4 tiles q..q+3 (lanes) of one channel, stored at dst (V).
// Loops unrolled: the transform keeps its vectors in registers (Winograd is an optional part,
// outside the all-ops size figure).
SDK_WINO_HOT_NS void wino_in_group(const float* strip, int Wp, int TW, int q, int ntile, float* dst, int64_t vstride) {
    wv R[36];  // the row pass: R[r * 6 + k]
    const int ty = q / TW, tx = q % TW;
    if (tx + 3 < TW && q + 3 < ntile) {  // 4 tiles of one row: VLD4 transposes, columns 0-3 and 4-5
        const float* p = strip + (int64_t)(4 * ty) * Wp + 4 * tx;
        SDK_UNROLL for (int r = 0; r < 6; ++r, p += Wp) {
            const float32x4x4_t a = vld4q_f32(p), b = vld4q_f32(p + 4);
            const wv d[6] = {a.val[0], a.val[1], a.val[2], a.val[3], b.val[0], b.val[1]};
            in_1d_n(d, 1, R + r * 6);
        }
    } else {  // tiles of two tile rows (or past the last tile: zeros): each window row's 6 floats
              // copied lane by lane into the layout VLD4/VLD2 transpose
        float zero[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
        const float* p[4];
        int64_t step[4];
        SDK_UNROLL for (int l = 0; l < 4; ++l) {
            const int ql = q + l;
            p[l] = ql < ntile ? strip + (int64_t)(4 * (ql / TW)) * Wp + 4 * (ql % TW) : zero;
            step[l] = ql < ntile ? Wp : 0;
        }
        SDK_UNROLL for (int r = 0; r < 6; ++r) {
            float a[16], b[8];  // a[4 l + s] = window column s < 4 of lane l, b[2 l + s] = column 4 + s
            SDK_UNROLL for (int l = 0; l < 4; ++l) {
                vst1q_f32(a + 4 * l, vld1q_f32(p[l]));
                vst1_f32(b + 2 * l, vld1_f32(p[l] + 4));
                p[l] += step[l];
            }
            const float32x4x4_t va = vld4q_f32(a);
            const float32x4x2_t vb = vld2q_f32(b);
            const wv d[6] = {va.val[0], va.val[1], va.val[2], va.val[3], vb.val[0], vb.val[1]};
            in_1d_n(d, 1, R + r * 6);
        }
    }
    SDK_UNROLL for (int k = 0; k < 6; ++k, dst += vstride) {  // the column pass, straight into V[(r * 6 + k)]
        wv o[6];
        in_1d_n(R + k, 6, o);
        float* p = dst;
        SDK_UNROLL for (int r = 0; r < 6; ++r) wino_st_step(p, o[r], 6 * vstride * (int64_t)sizeof(float));
    }
}

// The weight transform of 4 input channels (lanes) of one output channel, wp their 3x3
// kernels (36 floats), into dst (U; xi-th matrix at dst + xi * ustride).
__attribute__((always_inline)) inline void wino_w_group4(const float* wp, float* dst, int64_t ustride) {
    wv G[9];
    wino_taps4(wp, G);
    wv T[18];
    SDK_UNROLL for (int k = 0; k < 3; ++k) w_1d_n(G + k, 3, T + k, 3);  // columns: 3x3 -> 6x3
    float* d = dst;  // rows: -> 6x6, straight into U in xi order
    SDK_UNROLL for (int r = 0; r < 6; ++r) {
        wv u[6];
        w_1d_n(T + r * 3, 1, u, 1);
        // arm64: ST1 with a register post-increment (GCC kept an offset and an add per store, and
        // spilled); ARMv7, with fewer registers, took longer that way
        SDK_UNROLL for (int k = 0; k < 6; ++k) {
#if defined(__aarch64__)
            wino_st_step(d, u[k], ustride * (int64_t)sizeof(float));
#else
            vst1q_f32(d, u[k]);
            d += ustride;
#endif
        }
    }
}

// The same for input channels [0, c4) (c4 a multiple of 4) of one output channel, in one call.
// (arm64: the stores' 36 offsets stay in registers over the loop; ARMv7, with 13 general
// registers, spilled them, so there the loop calls the transform out of line)
#if !defined(__aarch64__)
__attribute__((noinline)) SDK_WINO_HOT void wino_w_group4_ool(const float* wp, float* dst, int64_t ustride) {
    wino_w_group4(wp, dst, ustride);
}
#endif
// cstep: 1 for U's rows (row stride C), 8 for neon_sgemm_pack_a's layout (4 channels of one row
// every 32 floats; ARMv7's: 4, every 16).
#if defined(__aarch64__)
#define SDK_WINO_W_ROW_HOT SDK_WINO_HOT_NSC
#else
#define SDK_WINO_W_ROW_HOT SDK_WINO_HOT
#endif
__attribute__((noinline)) SDK_WINO_W_ROW_HOT void wino_w_row(const float* wp, int c4, float* dst, int64_t ustride,
                                                              int cstep) {
#if defined(__aarch64__)
    for (int c = 0; c < c4; c += 4) wino_w_group4(wp + c * 9, dst + c * cstep, ustride);
#else
    for (int c = 0; c < c4; c += 4) wino_w_group4_ool(wp + c * 9, dst + c * cstep, ustride);
#endif
}

// Partial groups of an output transform (tiles of two tile rows, or cut by the plane's edge),
// tiles of T x T outputs: per lane l (tile q + l), its first output in the plane (dl) and how
// many of its columns (wl) and rows (hl) lie in the plane; 0 for lanes past ntile.
template <int T>
__attribute__((always_inline)) inline void wino_out_lanes(float* yo, int q, int ntile, int TW, int ty0, int OW,
                                                          int OH, float* dl[4], int wl[4], int hl[4]) {
    SDK_UNROLL for (int l = 0; l < 4; ++l) {
        const int ql = q + l, yy = T * (ty0 + ql / TW), xx = T * (ql % TW);
        dl[l] = yo + (int64_t)yy * OW + xx;
        if (ql < ntile) {
            wl[l] = OW - xx < T ? OW - xx : T;
            hl[l] = OH - yy < T ? OH - yy : T;
        }
    }
}

// The output transforms of one output channel's tiles from M (src: its row, the xi-th matrix at
// src + xi * mstride), 4 tiles (lanes) at a time, bias, Relu if AK (a template, so the unrolled
// code has no per-vector branches), into the plane yo.
// Rows of at least 4 tiles go by tile row, 4 tiles of one row a group: the groups at 0, 4, 8, ...
// and, when TW % 4, one more ending at the row's last tile (it recomputes up to 3 tiles of the
// one before: the same values), so every group stores whole rows of 16 outputs (VST4) without
// the lane-by-lane copies of groups across two tile rows (squeezenet's 55/27/13 planes: most of
// its groups; ~500 instructions a group against ~290). The groups run right to left: a row of
// the last group that runs past the plane's width (by <= 3 outputs) writes into the start of
// the next output row, which a later store (the row's first group, or this group's next row)
// writes again; only where that next row is not this block's (the block's or the plane's last
// output row) the last lane is cut to the plane.
template <int AK>
__attribute__((noinline)) SDK_WINO_HOT_NS void wino_out_rows(const float* src, int64_t mstride, float bias, float* yo,
                                                         int TW, int ty0, int ntile, int OH, int OW) {
    const wv vb = vdupq_n_f32(bias), zero = vdupq_n_f32(0.0f);
    const int trows = ntile / TW;  // (blocks of whole tile rows)
    for (int ty = 0; ty < trows; ++ty) {
        const int oy = 4 * (ty0 + ty), h = OH - oy < 4 ? OH - oy : 4;
        const bool below = h == 4 && ty + 1 < trows;  // the next output row is this block's
        for (int tx = TW - 4; tx >= 0; tx = tx % 4 ? tx / 4 * 4 : tx - 4) {
            const float* s = src + ty * TW + tx;
            wv T[24];  // the column pass: T[r * 6 + k], r < 4
            SDK_UNROLL for (int k = 0; k < 6; ++k, s += mstride) {
                wv m[6], o[4];
                const float* p = s;  // M[r * 6 + k], r = 0..5
                SDK_UNROLL for (int r = 0; r < 6; ++r) m[r] = wino_ld_step(p, 6 * mstride * (int64_t)sizeof(float));
                if (k == 1) m[1] = w_add(m[1], vb);  // the bias: out_1d_n
                out_1d_n(m, 1, o, 1);
                SDK_UNROLL for (int r = 0; r < 4; ++r) T[r * 6 + k] = o[r];
            }
            const int wl3 = OW - 4 * tx - 12;  // the last tile's columns in the plane (1-4)
            // whole rows: all h of them, or all but the last, cut to the plane
            const int hw = wl3 >= 4 || below ? h : h - 1;
            float* d = yo + (int64_t)oy * OW + 4 * tx;
            float32x4x4_t y;
            SDK_UNROLL for (int r = 0; r < 4; ++r) {
                out_1d_n(T + r * 6, 1, y.val, 1);
                if (AK == 1)
                    SDK_UNROLL for (int c = 0; c < 4; ++c)  // act_f32's NaN: Relu 0
                        y.val[c] = w_relu(y.val[c], zero);
                if (r >= hw) break;
                vst4q_f32(d + (int64_t)r * OW, y);
            }
            if (hw < h) {  // the last row, y (r == hw: the loop broke there)
                float f[16];
                vst4q_f32(f, y);
                float* e = d + (int64_t)hw * OW;
                vst1q_f32(e, vld1q_f32(f));
                vst1q_f32(e + 4, vld1q_f32(f + 4));
                vst1q_f32(e + 8, vld1q_f32(f + 8));
                for (int c = 0; c < wl3; ++c) e[12 + c] = f[12 + c];
            }
        }
    }
}

template <int AK>
SDK_WINO_HOT void wino_out_row(const float* src, int64_t mstride, float bias, float* yo, int TW,
                               int ty0, int ntile, int OH, int OW) {
    if (TW >= 4) return wino_out_rows<AK>(src, mstride, bias, yo, TW, ty0, ntile, OH, OW);
    const wv vb = vdupq_n_f32(bias), zero = vdupq_n_f32(0.0f);
    for (int q = 0; q < ntile; q += 4, src += 4) {
        wv T[24];  // the column pass: T[r * 6 + k], r < 4
        SDK_UNROLL for (int k = 0; k < 6; ++k) {
            wv m[6], o[4];
            SDK_UNROLL for (int r = 0; r < 6; ++r) m[r] = vld1q_f32(src + (r * 6 + k) * mstride);
            if (k == 1) m[1] = w_add(m[1], vb);  // the bias: out_1d_n
            out_1d_n(m, 1, o, 1);
            SDK_UNROLL for (int r = 0; r < 4; ++r) T[r * 6 + k] = o[r];
        }
        const int ty = q / TW, tx = q % TW, oy = 4 * (ty0 + ty), ox = 4 * tx;
        const bool whole = tx + 3 < TW && q + 3 < ntile && ox + 16 <= OW && oy + 4 <= OH;
        // partial groups: VST4 to a buffer makes each lane's row of 4 outputs contiguous
        float* dl[4] = {yo, yo, yo, yo};
        int wl[4] = {0, 0, 0, 0}, hl[4] = {0, 0, 0, 0};
        if (!whole) wino_out_lanes<4>(yo, q, ntile, TW, ty0, OW, OH, dl, wl, hl);
        SDK_UNROLL for (int r = 0; r < 4; ++r) {
            float32x4x4_t y;
            out_1d_n(T + r * 6, 1, y.val, 1);
            if (AK == 1)
                SDK_UNROLL for (int s = 0; s < 4; ++s)  // act_f32's NaN: Relu 0
                    y.val[s] = w_relu(y.val[s], zero);
            if (whole) {  // 4 whole tiles of one row: VST4 transposes
                vst4q_f32(yo + (int64_t)(oy + r) * OW + ox, y);
                continue;
            }
            float f[16];  // f[4 l + s]: lane l's output row r
            vst4q_f32(f, y);
            SDK_UNROLL for (int l = 0; l < 4; ++l) {
                if (r >= hl[l]) continue;
                float* d = dl[l] + (int64_t)r * OW;
                if (wl[l] == 4)
                    vst1q_f32(d, vld1q_f32(f + 4 * l));
                else
                    for (int s = 0; s < wl[l]; ++s) d[s] = f[4 * l + s];
            }
        }
    }
}

// ---- F(2x2, 3x3) (planes below 13x13 on ARM; docs/winograd.md): 2x2 outputs from a 4x4 input
// window, 16 matrices, adds only. B^T d: d0 - d2, d1 + d2, d2 - d1, d1 - d3; G g: g0,
// (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2; A^T m: m0 + m1 + m2, m1 - m2 - m3. G's halves are
// left out of the weight transform (U' = 2 U or 4 U on the middle rows and columns), which runs
// per (output, input channel), and applied to M in the output transform, per (output, tile):
// powers of two, so the same values (but for denormals).
__attribute__((always_inline)) inline void in2_1d(wv d0, wv d1, wv d2, wv d3, wv* t) {
    t[0] = w_sub(d0, d2);
    t[1] = w_add(d1, d2);
    t[2] = w_sub(d2, d1);
    t[3] = w_sub(d1, d3);
}

// The input transform of the 4 tiles q..q+3 (lanes) of one channel into V (dst).
SDK_WINO_HOT void wino2_in_group(const float* strip, int Wp, int TW, int q, int ntile, float* dst, int64_t vstride) {
    wv R[16];  // the row pass: R[r * 4 + k]
    const int ty = q / TW, tx = q % TW;
    if (tx + 3 < TW && q + 3 < ntile) {  // 4 tiles of one row: VLD2 deinterleaves columns 0-1, 2-3
        const float* p = strip + (int64_t)(2 * ty) * Wp + 2 * tx;
        SDK_UNROLL for (int r = 0; r < 4; ++r, p += Wp) {
            const float32x4x2_t a = vld2q_f32(p), b = vld2q_f32(p + 2);
            in2_1d(a.val[0], a.val[1], b.val[0], b.val[1], R + r * 4);
        }
    } else {  // gathered: each lane's window row (4 floats) into one vector, VLD4 transposes
        float zero[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        const float* p[4];
        int64_t step[4];
        SDK_UNROLL for (int l = 0; l < 4; ++l) {
            const int ql = q + l;
            p[l] = ql < ntile ? strip + (int64_t)(2 * (ql / TW)) * Wp + 2 * (ql % TW) : zero;
            step[l] = ql < ntile ? Wp : 0;
        }
        SDK_UNROLL for (int r = 0; r < 4; ++r) {
            float a[16];
            SDK_UNROLL for (int l = 0; l < 4; ++l) {
                vst1q_f32(a + 4 * l, vld1q_f32(p[l]));
                p[l] += step[l];
            }
            const float32x4x4_t v = vld4q_f32(a);
            in2_1d(v.val[0], v.val[1], v.val[2], v.val[3], R + r * 4);
        }
    }
    SDK_UNROLL for (int k = 0; k < 4; ++k) {  // the column pass, straight into V[r * 4 + k]
        wv o[4];
        in2_1d(R[k], R[4 + k], R[8 + k], R[12 + k], o);
        SDK_UNROLL for (int r = 0; r < 4; ++r) vst1q_f32(dst + (r * 4 + k) * vstride, o[r]);
    }
}

// The weight transform of 4 input channels (lanes) of one output channel into U (16 matrices).
__attribute__((always_inline)) inline void wino2_w_group4(const float* wp, float* dst, int64_t ustride) {
    wv G[9];
    wino_taps4_tr(wp, G);
    wv T[12];  // columns: 3x3 -> 4x3, T[r * 3 + k] (rows 1 and 2 without their 1/2)
    SDK_UNROLL for (int k = 0; k < 3; ++k) {
        const wv s = w_add(G[k], G[6 + k]);
        T[k] = G[k];
        T[3 + k] = w_add(s, G[3 + k]);
        T[6 + k] = w_sub(s, G[3 + k]);
        T[9 + k] = G[6 + k];
    }
    SDK_UNROLL for (int r = 0; r < 4; ++r) {  // rows: -> 4x4, straight into U in xi order
        const wv g0 = T[r * 3], g1 = T[r * 3 + 1], g2 = T[r * 3 + 2], s = w_add(g0, g2);
        vst1q_f32(dst + (r * 4) * ustride, g0);
        vst1q_f32(dst + (r * 4 + 1) * ustride, w_add(s, g1));
        vst1q_f32(dst + (r * 4 + 2) * ustride, w_sub(s, g1));
        vst1q_f32(dst + (r * 4 + 3) * ustride, g2);
    }
}

// The same for input channels [0, c4) (c4 a multiple of 4) of one output channel, in one call.
__attribute__((noinline)) SDK_WINO_HOT void wino2_w_row(const float* wp, int c4, float* dst, int64_t ustride,
                                                         int cstep) {
    for (int c = 0; c < c4; c += 4) wino2_w_group4(wp + c * 9, dst + c * cstep, ustride);
}

// F(2x2)'s output transform, the column pass of 4 tiles from M (s: their first column) into T
// (T[r * 4 + k], r < 2), with U's halves; then one output row of the 4 tiles, bias, Relu if AK.
__attribute__((always_inline)) inline void wino2_out_cols(const float* s, int64_t mstride, wv* T) {
    SDK_UNROLL for (int k = 0; k < 4; ++k) {
        const float h = k == 1 || k == 2 ? 0.5f : 1.0f;
        wv m0 = vld1q_f32(s + k * mstride), m1 = vld1q_f32(s + (4 + k) * mstride);
        wv m2 = vld1q_f32(s + (8 + k) * mstride), m3 = vld1q_f32(s + (12 + k) * mstride);
        if (h != 1.0f) {
            m0 = w_mul(m0, h);
            m3 = w_mul(m3, h);
        }
        m1 = w_mul(m1, 0.5f * h);
        m2 = w_mul(m2, 0.5f * h);
        T[k] = w_add(w_add(m0, m1), m2);
        T[4 + k] = w_sub(w_sub(m1, m2), m3);
    }
}
template <int AK>
__attribute__((always_inline)) inline float32x4x2_t wino2_out_rowv(const wv* t, wv vb, wv zero) {
    float32x4x2_t y;
    y.val[0] = w_add(w_add(t[0], t[1]), t[2]);
    y.val[1] = w_sub(w_sub(t[1], t[2]), t[3]);
    SDK_UNROLL for (int s = 0; s < 2; ++s) {
        wv v = w_add(y.val[s], vb);
        if (AK == 1) v = w_relu(v, zero);
        y.val[s] = v;
    }
    return y;
}

// The output transforms of one output channel's tiles (as wino_out_row, 2x2 tiles).
template <int AK>
SDK_WINO_HOT void wino2_out_row(const float* src, int64_t mstride, float bias, float* yo, int TW,
                                int ty0, int ntile, int OH, int OW) {
    const wv vb = vdupq_n_f32(bias), zero = vdupq_n_f32(0.0f);
    // rows of at least 4 tiles: by tile row, right to left, each group's rows whole (VST2), as
    // wino_out_row does (resnet18's 7x7: one group a tile row, its last tile 1 output wide)
    const int trows = TW >= 4 ? ntile / TW : 0;
    for (int ty = 0; ty < trows; ++ty) {
        const int oy = 2 * (ty0 + ty), h = OH - oy < 2 ? OH - oy : 2;
        const bool below = h == 2 && ty + 1 < trows;  // the next output row is this block's
        for (int tx = TW - 4; tx >= 0; tx = tx % 4 ? tx / 4 * 4 : tx - 4) {
            const float* s = src + ty * TW + tx;
            wv T[8];
            wino2_out_cols(s, mstride, T);
            const int wl3 = OW - 2 * tx - 6;  // the last tile's columns in the plane (1-2)
            float* d = yo + (int64_t)oy * OW + 2 * tx;
            SDK_UNROLL for (int r = 0; r < 2; ++r, d += OW) {
                if (r >= h) break;
                const float32x4x2_t y = wino2_out_rowv<AK>(T + r * 4, vb, zero);
                if (wl3 >= 2 || r + 1 < h || below) {
                    vst2q_f32(d, y);
                    continue;
                }
                float f[8];
                vst2q_f32(f, y);
                vst1q_f32(d, vld1q_f32(f));
                vst1_f32(d + 4, vld1_f32(f + 4));
                d[6] = f[6];
            }
        }
    }
    for (int q = trows ? ntile : 0; q < ntile; q += 4, src += 4) {
        wv T[8];  // the column pass: T[r * 4 + k], r < 2 (with U's halves)
        wino2_out_cols(src, mstride, T);
        const int ty = q / TW, tx = q % TW, oy = 2 * (ty0 + ty), ox = 2 * tx;
        const bool whole = tx + 3 < TW && q + 3 < ntile && ox + 8 <= OW && oy + 2 <= OH;
        float* dl[4] = {yo, yo, yo, yo};
        int wl[4] = {0, 0, 0, 0}, hl[4] = {0, 0, 0, 0};
        if (!whole) wino_out_lanes<2>(yo, q, ntile, TW, ty0, OW, OH, dl, wl, hl);
        SDK_UNROLL for (int r = 0; r < 2; ++r) {
            const wv* t = T + r * 4;
            float32x4x2_t y;
            y.val[0] = w_add(w_add(t[0], t[1]), t[2]);
            y.val[1] = w_sub(w_sub(t[1], t[2]), t[3]);
            SDK_UNROLL for (int s = 0; s < 2; ++s) {
                wv v = w_add(y.val[s], vb);
                if (AK == 1) v = w_relu(v, zero);
                y.val[s] = v;
            }
            if (whole) {  // 4 whole tiles of one row: VST2 interleaves
                vst2q_f32(yo + (int64_t)(oy + r) * OW + ox, y);
                continue;
            }
            float f[8];  // f[2 l + s]: lane l's output row r
            vst2q_f32(f, y);
            SDK_UNROLL for (int l = 0; l < 4; ++l) {
                if (r >= hl[l]) continue;
                float* d = dl[l] + (int64_t)r * OW;
                if (wl[l] == 2)
                    vst1_f32(d, vld1_f32(f + 2 * l));
                else
                    d[0] = f[2 * l];
            }
        }
    }
}
#endif  // SDK_WINO_NEON

#if !SDK_WINO_NEON
// The weight transform of 4 input channels (lanes) of one output channel, wp their 3x3
// kernels (36 floats), into dst (U; xi-th matrix at dst + xi * ustride), streamed in xi order.
SDK_WINO_HOT void wino_w_group4(const float* wp, float* dst, int64_t ustride) {
    v4f G[9];  // G[k] lane l = wp[l * 9 + k]
#if SDK_WINO_SHUFFLE
    v4f r0, r1, r2, r3;
    SDK_UNROLL for (int h = 0; h < 2; ++h) {  // taps 0-3, 4-7: 4x4 transposes
        wv_load(&r0, wp + 4 * h);
        wv_load(&r1, wp + 9 + 4 * h);
        wv_load(&r2, wp + 18 + 4 * h);
        wv_load(&r3, wp + 27 + 4 * h);
        transpose4(r0, r1, r2, r3, G + 4 * h, 1);
    }
#else
    for (int k = 0; k < 8; ++k) G[k] = (v4f){wp[k], wp[9 + k], wp[18 + k], wp[27 + k]};
#endif
    G[8] = (v4f){wp[8], wp[17], wp[26], wp[35]};
    v4f T[18];
    SDK_UNROLL for (int k = 0; k < 3; ++k) w_1d(G + k, 3, T + k, 3);  // columns: 3x3 -> 6x3
    float* d = dst;
    SDK_UNROLL for (int r = 0; r < 6; ++r) {  // rows: -> 6x6
        v4f u[6];
        w_1d(T + r * 3, 1, u, 1);
        SDK_UNROLL for (int k = 0; k < 6; ++k) {
            wv_store(d, u[k]);
            d += ustride;
        }
    }
}
#endif

// The same for the last n < 4 input channels: zero lanes in, n lanes out. MT: the tile (4: F(4x4),
// 2: F(2x2)), X its matrices.
template <int MT>
void wino_w_group_part(const float* wp, int n, float* dst, int64_t ustride) {
    constexpr int X = (MT + 2) * (MT + 2);
    float in[36] = {0.0f}, out[36][4];  // (X <= 36)
    memcpy(in, wp, (size_t)n * 9 * sizeof(float));
#if SDK_WINO_NEON
    if (MT == 2)
        wino2_w_group4(in, out[0], 4);
    else
#endif
        wino_w_group4(in, out[0], 4);
    for (int xi = 0; xi < X; ++xi)
        for (int l = 0; l < n; ++l) dst[xi * ustride + l] = out[xi][l];
}

#if SDK_WINO_NEON && defined(__aarch64__)
// AArch64: Winograd's GEMMs M[xi] (groups x 8 rows) = U[xi] (in neon_sgemm_pack_a's layout, K % 4
// == 0: the packed path's condition) * one panel of V, the plain sums (no bias, no activation:
// the output transform adds them). neon_sgemm_packed_a's tiles with what they need for any
// caller left out: 16 k a loop trip (274 instructions per 256 FMLA; the shared tile: 4 k, 140 per
// 128, for the example SDK's size), the accumulators zeroed (no bias loads), no epilogue modes, and a
// panel of <= 4 columns (the even accumulators) or 5-7 stored whole into M's row padding (M's
// rows are ldm = 4-rounded tiles, and a last panel of 5-7 columns ends at a multiple of 8: the
// same), so no tile buffer and copies. Products in k order from +0: neon_sgemm_packed_a's bits.
struct WinoGemmA64 {
    int64_t groups;     // 8-row groups down the panel
    int64_t ldc_bytes;  // M's row stride
    int64_t half;       // non-zero: columns 0-3 only
};
__attribute__((noinline)) void wino_a64_gemm(const float* a, const float* b, int64_t kq, float* dst,
                                             const WinoGemmA64* ep) {
    int64_t cnt, ldc, grp, pb, half;
    asm volatile(
        "ldr %[grp], [%[ep]]\n"
        "ldr %[ldc], [%[ep], #8]\n"
        "ldr %[half], [%[ep], #16]\n"
        "mov %[pb], %[b]\n"
        "20:\n"  // one 8-row group
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
        "mov %[b], %[pb]\n"
        "cbnz %[half], 30f\n"
        "lsr %[cnt], %[kq], #2\n"
        "cbz %[cnt], 24f\n"
        "26:\n"  // 16 k
        "ld1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[a]], #64\n"
        "ld1 {v4.4s, v5.4s, v6.4s, v7.4s}, [%[a]], #64\n"
        "ld1 {v8.4s, v9.4s, v10.4s, v11.4s}, [%[b]], #64\n"
        SDK_A64_FMLA8X8_K4
        "ld1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[a]], #64\n"
        "ld1 {v4.4s, v5.4s, v6.4s, v7.4s}, [%[a]], #64\n"
        "ld1 {v8.4s, v9.4s, v10.4s, v11.4s}, [%[b]], #64\n"
        SDK_A64_FMLA8X8_K4
        "ld1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[a]], #64\n"
        "ld1 {v4.4s, v5.4s, v6.4s, v7.4s}, [%[a]], #64\n"
        "ld1 {v8.4s, v9.4s, v10.4s, v11.4s}, [%[b]], #64\n"
        SDK_A64_FMLA8X8_K4
        "ld1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[a]], #64\n"
        "ld1 {v4.4s, v5.4s, v6.4s, v7.4s}, [%[a]], #64\n"
        "ld1 {v8.4s, v9.4s, v10.4s, v11.4s}, [%[b]], #64\n"
        SDK_A64_FMLA8X8_K4
        "subs %[cnt], %[cnt], #1\n"
        "b.ne 26b\n"
        "24:\n"  // the last K / 4 % 4 steps of 4 k
        "ands %[cnt], %[kq], #3\n"
        "b.eq 40f\n"
        "27:\n"
        "ld1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[a]], #64\n"
        "ld1 {v4.4s, v5.4s, v6.4s, v7.4s}, [%[a]], #64\n"
        "ld1 {v8.4s, v9.4s, v10.4s, v11.4s}, [%[b]], #64\n"
        SDK_A64_FMLA8X8_K4
        "subs %[cnt], %[cnt], #1\n"
        "b.ne 27b\n"
        "40:\n"
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
        "b 50f\n"
        "30:\n"  // columns 0-3 only: the even accumulators, 4 k a trip
        "mov %[cnt], %[kq]\n"
        "31:\n"
        "ld1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[a]], #64\n"
        "ld1 {v4.4s, v5.4s, v6.4s, v7.4s}, [%[a]], #64\n"
        "ld1 {v8.4s, v9.4s, v10.4s, v11.4s}, [%[b]], #64\n"
        "fmla v16.4s, v8.4s, v0.s[0]\n"
        "fmla v18.4s, v8.4s, v1.s[0]\n"
        "fmla v20.4s, v8.4s, v2.s[0]\n"
        "fmla v22.4s, v8.4s, v3.s[0]\n"
        "fmla v24.4s, v8.4s, v4.s[0]\n"
        "fmla v26.4s, v8.4s, v5.s[0]\n"
        "fmla v28.4s, v8.4s, v6.s[0]\n"
        "fmla v30.4s, v8.4s, v7.s[0]\n"
        "fmla v16.4s, v10.4s, v0.s[1]\n"
        "fmla v18.4s, v10.4s, v1.s[1]\n"
        "fmla v20.4s, v10.4s, v2.s[1]\n"
        "fmla v22.4s, v10.4s, v3.s[1]\n"
        "fmla v24.4s, v10.4s, v4.s[1]\n"
        "fmla v26.4s, v10.4s, v5.s[1]\n"
        "fmla v28.4s, v10.4s, v6.s[1]\n"
        "fmla v30.4s, v10.4s, v7.s[1]\n"
        "ld1 {v8.4s, v9.4s, v10.4s, v11.4s}, [%[b]], #64\n"
        "fmla v16.4s, v8.4s, v0.s[2]\n"
        "fmla v18.4s, v8.4s, v1.s[2]\n"
        "fmla v20.4s, v8.4s, v2.s[2]\n"
        "fmla v22.4s, v8.4s, v3.s[2]\n"
        "fmla v24.4s, v8.4s, v4.s[2]\n"
        "fmla v26.4s, v8.4s, v5.s[2]\n"
        "fmla v28.4s, v8.4s, v6.s[2]\n"
        "fmla v30.4s, v8.4s, v7.s[2]\n"
        "fmla v16.4s, v10.4s, v0.s[3]\n"
        "fmla v18.4s, v10.4s, v1.s[3]\n"
        "fmla v20.4s, v10.4s, v2.s[3]\n"
        "fmla v22.4s, v10.4s, v3.s[3]\n"
        "fmla v24.4s, v10.4s, v4.s[3]\n"
        "fmla v26.4s, v10.4s, v5.s[3]\n"
        "fmla v28.4s, v10.4s, v6.s[3]\n"
        "fmla v30.4s, v10.4s, v7.s[3]\n"
        "subs %[cnt], %[cnt], #1\n"
        "b.ne 31b\n"
        "st1 {v16.4s}, [%[dst]], %[ldc]\n"
        "st1 {v18.4s}, [%[dst]], %[ldc]\n"
        "st1 {v20.4s}, [%[dst]], %[ldc]\n"
        "st1 {v22.4s}, [%[dst]], %[ldc]\n"
        "st1 {v24.4s}, [%[dst]], %[ldc]\n"
        "st1 {v26.4s}, [%[dst]], %[ldc]\n"
        "st1 {v28.4s}, [%[dst]], %[ldc]\n"
        "st1 {v30.4s}, [%[dst]], %[ldc]\n"
        "subs %[grp], %[grp], #1\n"
        "b.ne 20b\n"
        "50:\n"
        : [a] "+r"(a), [b] "+r"(b), [dst] "+r"(dst), [cnt] "=&r"(cnt), [ldc] "=&r"(ldc), [grp] "=&r"(grp),
          [pb] "=&r"(pb), [half] "=&r"(half)
        : [kq] "r"(kq), [ep] "r"(ep)
        : "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v16", "v17",
          "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
}
#endif

#if SDK_WINO_NEON && !defined(__aarch64__)
// ARMv7: the same for v7_packed8's 4 x 8 tiles (each 8-row group as two halves of 4 rows):
// 16 k a loop trip (146 instructions per 128 VMLA with B by VLDM, below; the shared tile: 80
// per 64), the accumulators zeroed, no epilogue modes, partial panels stored into M's row padding.
struct WinoGemmV7 {
    int32_t groups;     // 8-row groups down the panel
    int32_t ldc_bytes;  // M's row stride
    int32_t half;       // non-zero: columns 0-3 only
    int32_t kq;         // K / 4 (>= 1)
    const float* panel;
};
static_assert(offsetof(WinoGemmV7, ldc_bytes) == 4 && offsetof(WinoGemmV7, half) == 8 &&
                  offsetof(WinoGemmV7, kq) == 12 && offsetof(WinoGemmV7, panel) == 16,
              "wino_v7_gemm's assembly reads these offsets");
__attribute__((noinline)) void wino_v7_gemm(const float* a, float* dst, const WinoGemmV7* ep) {
    const float* b;
    int32_t cnt, t, h, grp;
    asm volatile(
        "ldr %[grp], [%[ep]]\n"
        "20:\n"  // one 8-row group
        "mov %[h], #0\n"
        "21:\n"  // one half: rows 4h .. 4h + 3 (4 * K contiguous floats: a moves on to the next)
        "vmov.i32 q8, #0\n"
        "vmov.i32 q9, #0\n"
        "vmov.i32 q10, #0\n"
        "vmov.i32 q11, #0\n"
        "vmov.i32 q12, #0\n"
        "vmov.i32 q13, #0\n"
        "vmov.i32 q14, #0\n"
        "vmov.i32 q15, #0\n"
        "ldr %[b], [%[ep], #16]\n"
        "ldr %[cnt], [%[ep], #12]\n"
        "ldr %[t], [%[ep], #8]\n"
        "cmp %[t], #0\n"
        "bne 29f\n"
        "lsrs %[cnt], %[cnt], #2\n"
        "beq 24f\n"
        "22:\n"  // 16 k
        "vldmia %[a]!, {d0-d7}\n"
        SDK_V7_VMLA4X8_K4
        "vldmia %[a]!, {d0-d7}\n"
        SDK_V7_VMLA4X8_K4
        "vldmia %[a]!, {d0-d7}\n"
        SDK_V7_VMLA4X8_K4
        "vldmia %[a]!, {d0-d7}\n"
        SDK_V7_VMLA4X8_K4
        "subs %[cnt], %[cnt], #1\n"
        "bne 22b\n"
        "24:\n"  // the last K / 4 % 4 steps of 4 k
        "ldr %[cnt], [%[ep], #12]\n"
        "ands %[cnt], %[cnt], #3\n"
        "beq 25f\n"
        "23:\n"
        "vldmia %[a]!, {d0-d7}\n"
        SDK_V7_VMLA4X8_K4
        "subs %[cnt], %[cnt], #1\n"
        "bne 23b\n"
        "25:\n"
        "ldr %[t], [%[ep], #4]\n"
        "vst1.32 {d16-d19}, [%[dst]], %[t]\n"
        "vst1.32 {d20-d23}, [%[dst]], %[t]\n"
        "vst1.32 {d24-d27}, [%[dst]], %[t]\n"
        "vst1.32 {d28-d31}, [%[dst]], %[t]\n"
        "b 40f\n"
        "29:\n"  // columns 0-3 only: the even accumulators, 4 k a trip
        "30:\n"
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
        "bne 30b\n"
        "ldr %[t], [%[ep], #4]\n"
        "vst1.32 {d16-d17}, [%[dst]], %[t]\n"
        "vst1.32 {d20-d21}, [%[dst]], %[t]\n"
        "vst1.32 {d24-d25}, [%[dst]], %[t]\n"
        "vst1.32 {d28-d29}, [%[dst]], %[t]\n"
        "40:\n"
        "cmp %[h], #0\n"
        "bne 41f\n"
        "mov %[h], #1\n"
        "b 21b\n"
        "41:\n"
        "subs %[grp], %[grp], #1\n"
        "bne 20b\n"
        : [a] "+r"(a), [dst] "+r"(dst), [b] "=&r"(b), [cnt] "=&r"(cnt), [t] "=&r"(t), [h] "=&r"(h),
          [grp] "=&r"(grp)
        : [ep] "r"(ep)
        : "cc", "memory", "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "q12", "q13",
          "q14", "q15");
}
#endif

struct WinoJob {
    const ConvGeom* g;
    const float *x, *w, *b;
    float* y;
    char* scratch;
    size_t stride;
    int TW, TH, rb;  // tiles per row / column, tile rows per block
    int nblk, ob, nob;  // tile blocks per image; output channels per block, blocks
    int64_t v_floats, u_floats;  // scratch offsets: V, then U (none with uk), then M, then the strip
    const float* uk;  // the weights transformed at load: U[xi][o][c] of all OC (row stride C), or nullptr
    bool x86;  // the 16-column x86 GEMM (else sgemm_packed with kNR-column panels)
    bool avx512;  // the AVX-512 transforms (16 tiles per vector; x86 GEMM panels)
    bool pk;      // NEON: U in neon_sgemm_pack_a's layout, the GEMMs on neon_sgemm_packed_a (plan.wino_pk)
#if SDK_FEATURE_X86
    bool even_ob;  // channel block o: [floor8(OC * o / nob), floor8(OC * (o + 1) / nob)) (else o * ob)
#endif
};

#if defined(SDK_WINO_AVX512)
// ---- x86 AVX-512: the F(4x4) input and output transforms on 16 tiles per vector (the v4f
// code above: 4 tiles per SSE vector, 40-55 % of a Winograd layer on AVX-512 CPUs). The
// same arithmetic as in_1d / out_1d on 16 lanes; the 4x4 blocks between the tiles' rows
// (4 contiguous floats per tile) and the lanes (one tile each) move through the same
// transpose network in both directions: 128-bit lane shuffles, then 4x4 within the lanes.
#define SDK_WINO_HOT512 SDK_HOT_TARGET("avx512f,avx2,fma")
typedef float wz __attribute__((vector_size(64)));

__attribute__((target("avx512f,avx2,fma"), always_inline)) inline void zin_1d(const wz* d, int ds, wz* t, int ts) {
    const wz d0 = d[0], d1 = d[ds], d2 = d[2 * ds], d3 = d[3 * ds], d4 = d[4 * ds], d5 = d[5 * ds];
    const wz s1 = d4 - 4.0f * d2, s2 = d3 - 4.0f * d1, s3 = d4 - d2, s4 = 2.0f * (d3 - d1);
    t[0] = 4.0f * d0 - 5.0f * d2 + d4;
    t[ts] = s1 + s2;
    t[2 * ts] = s1 - s2;
    t[3 * ts] = s3 + s4;
    t[4 * ts] = s3 - s4;
    t[5 * ts] = 4.0f * d1 - 5.0f * d3 + d5;
}

__attribute__((target("avx512f,avx2,fma"), always_inline)) inline void zout_1d(const wz* m, int ms, wz* o, int os) {
    const wz a = m[ms] + m[2 * ms], b = m[ms] - m[2 * ms], c = m[3 * ms] + m[4 * ms], d = m[3 * ms] - m[4 * ms];
    o[0] = m[0] + a + c;
    o[os] = b + 2.0f * d;
    o[2 * os] = a + 4.0f * c;
    o[3 * os] = b + 8.0f * d + m[5 * ms];
}

// Z[j] (j < 4): tiles 4j..4j+3, 4 floats each -> Y[k] (k < 4): float k of tile l in lane l.
// Two transposes: of the 128-bit blocks across the 4 vectors, then of the 4 floats within
// each block (each its own inverse; ztr4x16 runs them in the other order).
__attribute__((target("avx512f,avx2,fma"), always_inline)) inline void ztr16x4(const __m512* Z, __m512* Y) {
    const __m512 v0 = _mm512_shuffle_f32x4(Z[0], Z[1], 0x44), v1 = _mm512_shuffle_f32x4(Z[2], Z[3], 0x44);
    const __m512 v2 = _mm512_shuffle_f32x4(Z[0], Z[1], 0xEE), v3 = _mm512_shuffle_f32x4(Z[2], Z[3], 0xEE);
    // u_e: tiles 4c + e (c: 128-bit lane)
    const __m512 u0 = _mm512_shuffle_f32x4(v0, v1, 0x88), u1 = _mm512_shuffle_f32x4(v0, v1, 0xDD);
    const __m512 u2 = _mm512_shuffle_f32x4(v2, v3, 0x88), u3 = _mm512_shuffle_f32x4(v2, v3, 0xDD);
    const __m512 t0 = _mm512_unpacklo_ps(u0, u1), t1 = _mm512_unpackhi_ps(u0, u1);
    const __m512 t2 = _mm512_unpacklo_ps(u2, u3), t3 = _mm512_unpackhi_ps(u2, u3);
    Y[0] = _mm512_shuffle_ps(t0, t2, 0x44);
    Y[1] = _mm512_shuffle_ps(t0, t2, 0xEE);
    Y[2] = _mm512_shuffle_ps(t1, t3, 0x44);
    Y[3] = _mm512_shuffle_ps(t1, t3, 0xEE);
}

// Y[k] (k < 4): float k of tile l in lane l -> Z[j]: tiles 4j..4j+3, 4 floats each.
__attribute__((target("avx512f,avx2,fma"), always_inline)) inline void ztr4x16(const __m512* Y, __m512* Z) {
    const __m512 t0 = _mm512_unpacklo_ps(Y[0], Y[1]), t1 = _mm512_unpackhi_ps(Y[0], Y[1]);
    const __m512 t2 = _mm512_unpacklo_ps(Y[2], Y[3]), t3 = _mm512_unpackhi_ps(Y[2], Y[3]);
    const __m512 u0 = _mm512_shuffle_ps(t0, t2, 0x44), u1 = _mm512_shuffle_ps(t0, t2, 0xEE);
    const __m512 u2 = _mm512_shuffle_ps(t1, t3, 0x44), u3 = _mm512_shuffle_ps(t1, t3, 0xEE);
    const __m512 v0 = _mm512_shuffle_f32x4(u0, u1, 0x44), v1 = _mm512_shuffle_f32x4(u2, u3, 0x44);
    const __m512 v2 = _mm512_shuffle_f32x4(u0, u1, 0xEE), v3 = _mm512_shuffle_f32x4(u2, u3, 0xEE);
    Z[0] = _mm512_shuffle_f32x4(v0, v1, 0x88);
    Z[1] = _mm512_shuffle_f32x4(v0, v1, 0xDD);
    Z[2] = _mm512_shuffle_f32x4(v2, v3, 0x88);
    Z[3] = _mm512_shuffle_f32x4(v2, v3, 0xDD);
}

// The input transform of channel rows in `strip` (as wino_input builds it) for tiles
// [q, q + 16) of the block into dst (16 lanes = the x86 GEMM's 16-column panel).
SDK_WINO_HOT512 void wino_in16(const float* strip, int Wp, int TW, int q, int ntile, float* dst, int64_t vstride) {
    wz D[36];  // D[r * 6 + k], lane l: tile q + l
    // per group of 4 tiles: its window rows' first float in the strip, or -1 (gathered)
    // per tile: its window's first float in the strip (tiles past ntile: none); per group of
    // 4 tiles: whether they are on one tile row (two whole loads per window row)
    const float* tp[16];
    bool whole[4];
    int ty = q / TW, tx = q % TW;
    SDK_UNROLL for (int l = 0; l < 16; ++l) {
        tp[l] = q + l < ntile ? strip + (int64_t)(4 * ty) * Wp + 4 * tx : nullptr;
        if (l % 4 == 0) whole[l / 4] = tx + 3 < TW && q + l + 3 < ntile;
        if (++tx == TW) tx = 0, ++ty;
    }
    for (int r = 0; r < 6; ++r) {
        __m512 A[4], B[4];  // group g: A lanes 4i..4i+3 = tile i's columns 0-3; B lanes 4i, 4i+1 = columns 4, 5
        const int64_t ro = (int64_t)r * Wp;
        SDK_UNROLL for (int g = 0; g < 4; ++g) {
            if (whole[g]) {
                A[g] = _mm512_loadu_ps(tp[4 * g] + ro);
                B[g] = _mm512_loadu_ps(tp[4 * g] + ro + 4);
                continue;
            }
            // tiles of two tile rows (or past the last): each tile's lanes by a masked load (the
            // masked-off lanes are not read)
            A[g] = B[g] = _mm512_setzero_ps();
            SDK_UNROLL for (int i = 0; i < 4; ++i) {
                const float* p = tp[4 * g + i];
                if (!p) break;
                A[g] = _mm512_mask_loadu_ps(A[g], (__mmask16)(0xFu << (4 * i)), p + ro - 4 * i);
                B[g] = _mm512_mask_loadu_ps(B[g], (__mmask16)(0x3u << (4 * i)), p + ro + 4 - 4 * i);
            }
        }
        __m512 Y[4], Yb[4];
        ztr16x4(A, Y);
        ztr16x4(B, Yb);
        wz R[6] = {(wz)Y[0], (wz)Y[1], (wz)Y[2], (wz)Y[3], (wz)Yb[0], (wz)Yb[1]};
        zin_1d(R, 1, D + r * 6, 1);  // along the row
    }
    SDK_UNROLL for (int k = 0; k < 6; ++k) {  // along the columns, straight into V
        wz o[6];
        zin_1d(D + k, 6, o, 1);
        SDK_UNROLL for (int r = 0; r < 6; ++r) _mm512_storeu_ps(dst + (r * 6 + k) * vstride, (__m512)o[r]);
    }
}

// The output transform of tiles [q, q + 16) of one output channel: src its row of M (the xi-th
// matrix at src + xi * mstride), bias, Relu/Clip if vact (act_f32's comparisons), into the plane.
SDK_WINO_HOT512 void wino_out16(const float* src, int64_t mstride, float bias, bool vact, const ActParams& act,
                                float* yo, int TW, int ty0, int q, int ntile, int OH, int OW) {
    const int n = ntile - q < 16 ? ntile - q : 16;
    const __mmask16 in = (__mmask16)((1u << n) - 1);
    wz T[24];  // the column pass: T[r * 6 + k], r < 4
    SDK_UNROLL for (int k = 0; k < 6; ++k) {
        wz m[6], o[4];
        SDK_UNROLL for (int r = 0; r < 6; ++r) m[r] = (wz)_mm512_maskz_loadu_ps(in, src + (r * 6 + k) * mstride);
        zout_1d(m, 1, o, 1);
        SDK_UNROLL for (int r = 0; r < 4; ++r) T[r * 6 + k] = o[r];
    }
    const __m512 vb = _mm512_set1_ps(bias), lo = _mm512_set1_ps(act.lo), hi = _mm512_set1_ps(act.hi);
    const bool relu = vact && act.kind == kActRelu, clip = vact && act.kind == kActClip;
    for (int r = 0; r < 4; ++r) {
        wz yv[4];
        zout_1d(T + r * 6, 1, yv, 1);
        __m512 Y[4], Z[4];
        SDK_UNROLL for (int s = 0; s < 4; ++s) {
            __m512 v = _mm512_add_ps((__m512)yv[s], vb);
            if (relu) v = _mm512_max_ps(v, _mm512_setzero_ps());  // NaN -> 0 as act_f32
            if (clip) v = _mm512_mask_mov_ps(_mm512_min_ps(hi, v), _mm512_cmp_ps_mask(v, lo, _CMP_LT_OQ), lo);
            Y[s] = v;
        }
        ztr4x16(Y, Z);  // Z[j]: tiles q + 4j..q + 4j + 3, output row r of each (4 floats)
        SDK_UNROLL for (int jg = 0; jg < 4; ++jg) {
            const int q0 = q + 4 * jg;
            if (q0 >= ntile) break;
            const int ty = q0 / TW, tx = q0 % TW, oy = 4 * (ty0 + ty) + r, ox = 4 * tx;
            if (tx + 3 < TW && q0 + 3 < ntile && ox + 16 <= OW && oy < OH) {
                _mm512_storeu_ps(yo + (int64_t)oy * OW + ox, Z[jg]);
                continue;
            }
            // Per tile: its in-plane part, lanes 4i.. by a masked store from 4i floats before it
            // (masked-off lanes are neither written nor faulted on). Not a compress store: on Zen 4
            // VCOMPRESSPS to memory is microcoded, and planes of 13 to 27 columns store most tile
            // rows this way (squeezenet1_1's 13x13 layers ran 1.3-1.4x slower than the GEMM,
            // and than this transform on AVX2).
            for (int i = 0; i < 4 && q0 + i < ntile; ++i) {
                const int ql = q0 + i, yy = 4 * (ty0 + ql / TW) + r, xx = 4 * (ql % TW);
                if (yy >= OH) continue;
                const int w = OW - xx < 4 ? OW - xx : 4;
                _mm512_mask_storeu_ps(yo + (int64_t)yy * OW + xx - 4 * i, (__mmask16)(((1u << w) - 1) << (4 * i)), Z[jg]);
            }
        }
    }
}

// The weight transform of 16 input channels (lanes) of one output channel, wp their 3x3
// kernels (144 floats: tap k of channel l gathered from wp[9 l + k]), into dst (U; the xi-th
// matrix at dst + xi * ustride): the v4f wino_w_group4 on 16 lanes (30 % of a 14x14 layer).
__attribute__((target("avx512f,avx2,fma"), always_inline)) inline void zw_1d(const wz* g, int gs, wz* u, int us) {
    const wz g0 = g[0], g1 = g[gs], g2 = g[2 * gs];
    const wz a = (g0 + g2) * (-1.0f / 6.0f), b = g1 * (-1.0f / 6.0f);
    const wz c = g0 * (1.0f / 24.0f) + g2 * (1.0f / 6.0f), d = g1 * (1.0f / 12.0f);
    u[0] = g0 * 0.25f;
    u[us] = a + b;
    u[2 * us] = a - b;
    u[3 * us] = c + d;
    u[4 * us] = c - d;
    u[5 * us] = g2;
}

SDK_WINO_HOT512 void wino_w16(const float* wp, float* dst, int64_t ustride) {
    const __m512i idx = _mm512_setr_epi32(0, 9, 18, 27, 36, 45, 54, 63, 72, 81, 90, 99, 108, 117, 126, 135);
    wz G[9];
    SDK_UNROLL for (int k = 0; k < 9; ++k) G[k] = (wz)_mm512_i32gather_ps(idx, wp + k, 4);
    wz T[18];
    SDK_UNROLL for (int k = 0; k < 3; ++k) zw_1d(G + k, 3, T + k, 3);  // columns: 3x3 -> 6x3
    SDK_UNROLL for (int r = 0; r < 6; ++r) {                          // rows: -> 6x6, in xi order
        wz u[6];
        zw_1d(T + r * 3, 1, u, 1);
        SDK_UNROLL for (int k = 0; k < 6; ++k) _mm512_storeu_ps(dst + (r * 6 + k) * ustride, (__m512)u[k]);
    }
}
#endif  // SDK_WINO_AVX512

// Input transform of channel c over the tile block starting at tile row ty0 into V.
template <int MT>
SDK_WINO_HOT void wino_input(const WinoJob& j, int n, int ty0, int ntile, float* V, int64_t vstride, int NR, float* strip) {
    const ConvGeom& g = *j.g;
    const int TW = j.TW, Wp = MT * TW + 4, rows = (ntile + TW - 1) / TW * MT + 2;
    const int C = g.C;
    for (int c = 0; c < C; ++c) {
        const float* xc = j.x + ((int64_t)n * C + c) * g.H * g.W;
        // the block's input rows, zero-padded: every tile's 6x6 window without bounds checks
        for (int r = 0; r < rows; ++r) {
            float* dst = strip + (int64_t)r * Wp;
            const int ih = MT * ty0 - g.pt + r;
            if (ih < 0 || ih >= g.H) {
                memset(dst, 0, (size_t)Wp * sizeof(float));
                continue;
            }
            const int lo = g.pl, n_in = g.W < Wp - lo ? g.W : Wp - lo;
            memset(dst, 0, (size_t)lo * sizeof(float));
            memcpy(dst + lo, xc + (int64_t)ih * g.W, (size_t)n_in * sizeof(float));
            memset(dst + lo + n_in, 0, (size_t)(Wp - lo - n_in) * sizeof(float));
        }
#if defined(SDK_WINO_AVX512)
        if (MT == 4 && j.avx512) {  // 16 tiles per vector (NR == 16)
            for (int q = 0; q < ntile; q += 16)
                wino_in16(strip, Wp, TW, q, ntile, V + (int64_t)(q / 16) * C * 16 + (int64_t)c * 16, vstride);
            continue;
        }
#endif
        for (int q = 0; q < ntile; q += 4) {
#if SDK_WINO_NEON
            float* dst = V + (int64_t)(q / NR) * C * NR + (int64_t)c * NR + q % NR;
            if (MT == 2)
                wino2_in_group(strip, Wp, TW, q, ntile, dst, vstride);
            else
                wino_in_group(strip, Wp, TW, q, ntile, dst, vstride);
#else
            v4f D[36];  // D[row * 6 + col], lanes: tiles q..q+3
            const int ty = q / TW, tx = q % TW;
#if SDK_WINO_SHUFFLE
            if (tx + 3 < TW && q + 3 < ntile) {  // 4 tiles of one row: 4x4 transposes of 20 floats
                for (int r = 0; r < 6; ++r) {
                    const float* p = strip + (int64_t)(4 * ty + r) * Wp + 4 * tx;
                    v4f a0, a1, a2, a3, a4;
                    wv_load(&a0, p);
                    wv_load(&a1, p + 4);
                    wv_load(&a2, p + 8);
                    wv_load(&a3, p + 12);
                    wv_load(&a4, p + 16);
                    v4f* d = D + r * 6;
                    transpose4(a0, a1, a2, a3, d, 1);
                    d[4] = __builtin_shufflevector(d[0], a4, 1, 2, 3, 4);
                    d[5] = __builtin_shufflevector(d[1], a4, 1, 2, 3, 5);
                }
            } else
#endif
            {
                float t[36][4];
                for (int l = 0; l < 4; ++l) {
                    const int ql = q + l;
                    const float* p = strip + (int64_t)(4 * (ql / TW)) * Wp + 4 * (ql % TW);
                    for (int r = 0; r < 6; ++r)
                        for (int k = 0; k < 6; ++k) t[r * 6 + k][l] = ql < ntile ? p[r * Wp + k] : 0.0f;
                }
                memcpy(D, t, sizeof t);
            }
            v4f R[36];
            SDK_UNROLL for (int r = 0; r < 6; ++r) in_1d(D + r * 6, 1, R + r * 6, 1);  // along rows
            SDK_UNROLL for (int k = 0; k < 6; ++k) in_1d(R + k, 6, D + k, 6);          // along columns
            float* dst = V + (int64_t)(q / NR) * C * NR + (int64_t)c * NR + q % NR;
            SDK_WINO_UNROLL for (int xi = 0; xi < 36; ++xi) wv_store(dst + xi * vstride, D[xi]);
#endif
        }
    }
}

// Weight transform of output channels [o0, o0 + m) into U[xi][o][c] (row stride C).
template <int MT>
SDK_WINO_HOT void wino_weights(const WinoJob& j, int o0, int m, float* U) {
    const int C = j.g->C;
    const int64_t ustride = (int64_t)m * C + kWinoSkew;
    for (int o = 0; o < m; ++o) {
        const float* wp = j.w + (int64_t)(o0 + o) * C * 9;
        float* dst = U + (int64_t)o * C;
        int c = 0;
#if SDK_WINO_NEON
        c = C / 4 * 4;
        int cstep = 1;
        if (j.pk) {  // neon_sgemm_pack_a's layout: row o of group o / 8, its 4 channels every 32 floats
#if defined(__aarch64__)
            dst = U + (int64_t)(o / kPackRows) * kPackRows * C + (o % kPackRows) * 4;
            cstep = kPackRows;
#else  // (ARMv7: of half-group o / 4, every 16 floats)
            dst = U + (int64_t)(o / kPackHalf) * kPackHalf * C + (o % kPackHalf) * 4;
            cstep = kPackHalf;
#endif
        }
        if (MT == 2)
            wino2_w_row(wp, c, dst, ustride, cstep);
        else
            wino_w_row(wp, c, dst, ustride, cstep);
#else
#if defined(SDK_WINO_AVX512)
        if (MT == 4 && j.avx512)
            for (; c + 16 <= C; c += 16) wino_w16(wp + c * 9, dst + c, ustride);
#endif
        for (; c + 4 <= C; c += 4) wino_w_group4(wp + c * 9, dst + c, ustride);
#endif
        if (c < C) wino_w_group_part<MT>(wp + c * 9, C - c, dst + c, ustride);
    }
}

// Output transform of rows [o0, o0 + m) x tiles of the block into y, bias and activation.
template <int MT>
SDK_WINO_HOT void wino_output(const WinoJob& j, int n, int ty0, int ntile, int o0, int m, const float* M, int64_t ldm) {
    const ConvGeom& g = *j.g;
    const int TW = j.TW, OW = g.OW, OH = g.OH;
    const int64_t mstride = (int64_t)m * ldm + kWinoSkew;
#if SDK_WINO_NEON
    const bool vact = g.act.kind == kActRelu;
#else
    const bool vact = g.act.kind == kActRelu || g.act.kind == kActClip;
#endif
    for (int o = 0; o < m; ++o) {
        const float bias = j.b ? j.b[o0 + o] : 0.0f;
        float* yo = j.y + ((int64_t)n * g.OC + o0 + o) * OH * OW;
#if SDK_WINO_NEON
        const float* src = M + (int64_t)o * ldm;
        // Relu in registers; Clip (rare on these layers) with the other activations below, over
        // the block's rows (a third unrolled copy of the transform was ~5 KB)
        if (MT == 2) {
            if (g.act.kind == kActRelu)
                wino2_out_row<1>(src, mstride, bias, yo, TW, ty0, ntile, OH, OW);
            else
                wino2_out_row<0>(src, mstride, bias, yo, TW, ty0, ntile, OH, OW);
        } else if (g.act.kind == kActRelu) {
            wino_out_row<1>(src, mstride, bias, yo, TW, ty0, ntile, OH, OW);
        } else {
            wino_out_row<0>(src, mstride, bias, yo, TW, ty0, ntile, OH, OW);
        }
#else
#if defined(SDK_WINO_AVX512)
        if (MT == 4 && j.avx512) {
            for (int q = 0; q < ntile; q += 16)
                wino_out16(M + (int64_t)o * ldm + q, mstride, bias, vact, g.act, yo, TW, ty0, q, ntile, OH, OW);
            if (!vact && g.act.kind != kActNone) {
                const int r0 = MT * ty0, r1 = MT * (ty0 + (ntile + TW - 1) / TW) < OH ? MT * (ty0 + (ntile + TW - 1) / TW) : OH;
                act_span_f32(yo + (int64_t)r0 * OW, (int64_t)(r1 - r0) * OW, g.act);
            }
            continue;
        }
#endif
        for (int q = 0; q < ntile; q += 4) {
            v4f Mv[36], T[24], Y[16];
            const float* src = M + (int64_t)o * ldm + q;
            SDK_WINO_UNROLL for (int xi = 0; xi < 36; ++xi) wv_load(Mv + xi, src + xi * mstride);
            SDK_UNROLL for (int k = 0; k < 6; ++k) out_1d(Mv + k, 6, T + k, 6);        // columns: 6x6 -> 4x6
            SDK_UNROLL for (int r = 0; r < 4; ++r) out_1d(T + r * 6, 1, Y + r * 4, 1);  // rows: -> 4x4
            SDK_WINO_UNROLL for (int i = 0; i < 16; ++i) {
                v4f v = Y[i] + bias;
                if (vact) v = wino_act4(v, g.act);  // act_f32's comparisons, NaN alike
                Y[i] = v;
            }
            const int ty = q / TW, tx = q % TW, oy = 4 * (ty0 + ty), ox = 4 * tx;
#if SDK_WINO_SHUFFLE
            if (tx + 3 < TW && q + 3 < ntile && ox + 16 <= OW && oy + 4 <= OH) {  // 4 whole tiles of one row
                for (int r = 0; r < 4; ++r) {
                    v4f t4[4];
                    transpose4(Y[r * 4], Y[r * 4 + 1], Y[r * 4 + 2], Y[r * 4 + 3], t4, 1);
                    float* dst = yo + (int64_t)(oy + r) * OW + ox;
                    SDK_UNROLL for (int l = 0; l < 4; ++l) wv_store(dst + 4 * l, t4[l]);
                }
                continue;
            }
#endif
            for (int l = 0; l < 4 && q + l < ntile; ++l) {
                const int yy = 4 * (ty0 + (q + l) / TW), xx = 4 * ((q + l) % TW);
                for (int r = 0; r < 4 && yy + r < OH; ++r)
                    for (int s = 0; s < 4 && xx + s < OW; ++s) yo[(int64_t)(yy + r) * OW + xx + s] = Y[r * 4 + s][l];
            }
        }
#endif
        if (!vact && g.act.kind != kActNone) {  // SiLU, Sigmoid, HardSwish: over the block's rows
            const int r0 = MT * ty0, r1 = MT * (ty0 + (ntile + TW - 1) / TW) < OH ? MT * (ty0 + (ntile + TW - 1) / TW) : OH;
            act_span_f32(yo + (int64_t)r0 * OW, (int64_t)(r1 - r0) * OW, g.act);
        }
    }
}

template <int MT>
void wino_tasks(void* arg, int64_t begin, int64_t end) {
    constexpr int X = (MT + 2) * (MT + 2);
    const WinoJob& j = *static_cast<const WinoJob*>(arg);
    const ConvGeom& g = *j.g;
    const int C = g.C;
    const int NR = j.x86 ? kWinoPanel : kNR;
    char* base = j.scratch + (size_t)current_thread_index() * j.stride;
    float* V = reinterpret_cast<float*>(base);
    float* U = V + j.v_floats;
    float* M = U + j.u_floats;
    const int maxtile = j.rb * j.TW;
    const int64_t ldm = (maxtile + 3) / 4 * 4;
    float* strip = M + (int64_t)X * (j.ob * ldm + kWinoSkew);
    int64_t have = -1;  // the (image, tile block) whose V is in scratch
    int have_ob = -1;   // the output-channel block whose U is in scratch (one block: every task)
    for (int64_t t = begin; t < end; ++t) {
        const int64_t nb = t / j.nob;
        const int ob = (int)(t % j.nob), n = (int)(nb / j.nblk), blk = (int)(nb % j.nblk);
#if SDK_FEATURE_X86
        // x86: the tile rows in nblk blocks of equal size (to a row: 14 rows in 4 + 3 + 4 + 3 or 3
        // blocks of 5 + 4 + 5, not 5 + 5 + 4), so that whole blocks divide evenly among threads
        const int ty0 = (int)((int64_t)j.TH * blk / j.nblk);
        const int trows = (int)((int64_t)j.TH * (blk + 1) / j.nblk) - ty0;
#else
        const int ty0 = blk * j.rb;
        const int trows = j.TH - ty0 < j.rb ? j.TH - ty0 : j.rb;
#endif
        const int ntile = trows * j.TW;
        const int64_t vstride = (int64_t)(ntile + NR - 1) / NR * NR * C + kWinoSkew;
        if (have != nb) {
            wino_input<MT>(j, n, ty0, ntile, V, vstride, NR, strip);
            have = nb;
        }
#if SDK_FEATURE_X86
        int o0 = ob * j.ob, m = g.OC - o0 < j.ob ? g.OC - o0 : j.ob;
        if (j.even_ob) {
            o0 = (int)((int64_t)g.OC * ob / j.nob) & ~7;
            m = (ob + 1 == j.nob ? g.OC : (int)((int64_t)g.OC * (ob + 1) / j.nob) & ~7) - o0;
        }
#else
        const int o0 = ob * j.ob, m = g.OC - o0 < j.ob ? g.OC - o0 : j.ob;
#endif
        // U depends on the channel block only: kept across tile blocks (or from load: no transform)
        const float* Ub = U;
        int64_t ux = (int64_t)m * C + kWinoSkew;
        if (j.uk) {
            Ub = j.uk + (int64_t)o0 * C;
            ux = (int64_t)g.OC * C + kWinoSkew;
        } else if (have_ob != ob) {
            wino_weights<MT>(j, o0, m, U);
            have_ob = ob;
        }
        GemmEpilogue e;
        for (int xi = 0; xi < X; ++xi) {
            const float* A = Ub + xi * ux;
            float* Mx = M + xi * ((int64_t)m * ldm + kWinoSkew);
#if SDK_FEATURE_X86
            if (j.x86) {
                x86_sgemm16_avx2(m, ntile, C, A, C, V + xi * vstride, kX86Panel, (int64_t)kX86Panel * C, Mx, ldm, e);
                continue;
            }
#endif
#if SDK_WINO_NEON
            if (j.pk) {  // (m: a multiple of 8)
#if defined(__aarch64__)
                WinoGemmA64 ep;
                ep.groups = m / kPackRows;
                ep.ldc_bytes = ldm * (int64_t)sizeof(float);
                for (int p = 0; p < ntile; p += kNR) {
                    ep.half = ntile - p <= 4;
                    wino_a64_gemm(A, V + xi * vstride + (int64_t)p * C, C / 4, Mx + p, &ep);
                }
#else
                WinoGemmV7 ep;
                ep.groups = m / kPackRows;
                ep.ldc_bytes = (int32_t)(ldm * (int64_t)sizeof(float));
                ep.kq = C / 4;
                for (int p = 0; p < ntile; p += kNR) {
                    ep.half = ntile - p <= 4;
                    ep.panel = V + xi * vstride + (int64_t)p * C;
                    wino_v7_gemm(A, Mx + p, &ep);
                }
#endif
                continue;
            }
#endif
            sgemm_packed(m, ntile, C, A, C, 1, V + xi * vstride, Mx, ldm, e);
        }
        wino_output<MT>(j, n, ty0, ntile, o0, m, M, ldm);
    }
}

bool wino_geometry(const ConvGeom& g) {
    return g.KH == 3 && g.KW == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.group == 1;
}

}  // namespace

void conv_f32_set_wino(int on) { g_wino = on < 0 ? -1 : (on > 3 ? 3 : on); }

void conv_f32_wino_plan(const ConvGeom& g, ConvF32Plan& p) {
    p.wino_rb = 0;
    if (!wino_geometry(g)) return;
    const int mode = g_wino;
    if (mode == 0) return;
    // The rule, measured per layer (bench/wino_layers.cpp, docs/winograd.md): planes of 13x13
    // and more (rows of >= 4 tiles: the 4-tile vector path; at 7x7 and 10x10 the per-run weight
    // transform and the gathered tiles make it 1.4-2.3x slower than the GEMM) and >= 4 input
    // channels (3 -> 64 at 224x224: 1.6x slower, the GEMMs' K too short).
    // ARM: planes below 13x13 (resnet18's 7x7) take F(2x2,3x3): 16 tiles at 7x7 fill the NEON
    // GEMM's 8-column panels (F(4x4): 4 tiles) and its per-run weight transform is 16 adds,
    // where F(4x4)'s was 40 % of the layer (bench/wino_count.py; docs/winograd.md).
    const bool big = g.OH >= 13 && g.OW >= 13;
#if SDK_WINO_NEON
    const int MT = mode == 3 ? 4 : mode == 2 || !big ? 2 : 4;
    if (mode < 0 && !(g.C >= 4 && (big || (g.OH >= kWino2Min && g.OW >= kWino2Min)))) return;
#else
    const int MT = 4;
    if (mode < 0 && !(g.C >= 4 && big)) return;
#endif
    const int X = (MT + 2) * (MT + 2);
    const int TW = (g.OW + MT - 1) / MT, TH = (g.OH + MT - 1) / MT;
    int64_t rb = (kWinoTiles + TW - 1) / TW;  // tile rows per block
    if (rb > TH) rb = TH;
    const int64_t ob = g.OC < kWinoOb ? g.OC : kWinoOb;
    const int64_t tiles = rb * TW;
    const int64_t v = ((tiles + kWinoPanel - 1) / kWinoPanel * kWinoPanel * g.C + kWinoSkew) * X;
    const int64_t u = (ob * g.C + kWinoSkew) * X;
    const int64_t mm = (ob * ((tiles + 3) / 4 * 4) + kWinoSkew) * X;
    const int64_t strip = (rb * MT + 2) * (MT * TW + 4);
    p.wino_rb = (int32_t)rb;
    p.wino_mt = MT;
    p.wino_ob = (int32_t)ob;
    p.slot_floats = v + u + mm + strip;

}

// NEON: U in neon_sgemm_pack_a's layout and the GEMMs on its packed tiles (8 rows x 4 k by two
// LD1s, all the 8-row groups down a panel in one call) when every output-channel block is a
// multiple of 8 rows (blocks of 64 or 8n) and there is no channel tail; the NEON tier's switch
// (SDK_F32_GEMM=ref, the test hook) keeps the rows and the portable GEMM.
static bool wino_packed_fits(const ConvGeom& g) {
#if SDK_WINO_NEON
    return g.C % 4 == 0 && g.OC % kPackRows == 0 && neon_sgemm_enabled();
#else
    (void)g;
    return false;
#endif
}

// The x86 tiers a job runs on (the weight transform's bits depend on them: kept weights
// must be made by the kernels a per-run transform would use).
static void wino_pick_isa(WinoJob& j) {
    j.x86 = false;
    j.avx512 = false;
#if SDK_FEATURE_X86
    j.x86 = x86_sgemm_avx2_enabled();
#if defined(SDK_WINO_AVX512)
    j.avx512 = j.x86 && x86_f32_avx512_enabled();
#endif
#endif
}

size_t conv_f32_wino_keep_bytes(const ConvGeom& g, const ConvF32Plan& plan, bool all) {
    // The rule (measured: bench/ARM.md `armwino`): ARM F(2x2,3x3) layers, whose per-run weight
    // transform is ~4.7 M of ~15 M instructions per resnet18 7x7 layer, for 16/9 of the weights
    // in memory. F(4x4) layers keep transforming per run: 4x the weights (+21 MB on resnet18's
    // 14x14 layers for ~3 % of its instructions).
    if (!plan.wino_rb || (!all && plan.wino_mt != 2)) return 0;
    const int X = (plan.wino_mt + 2) * (plan.wino_mt + 2);
    return (size_t)(((int64_t)g.OC * g.C + kWinoSkew) * X) * sizeof(float);
}

void conv_f32_wino_keep(const ConvGeom& g, ConvF32Plan& plan, const float* w, float* u) {
    WinoJob j;
    memset(&j, 0, sizeof j);
    j.g = &g;
    j.w = w;
    j.pk = plan.wino_pk = wino_packed_fits(g);  // the kept U's layout, for good
    wino_pick_isa(j);  // the per-run transform's own kernels: the same bits
#if SDK_WINO_NEON
    if (plan.wino_mt == 2)
        wino_weights<2>(j, 0, g.OC, u);  // U[xi][o][c], xi stride OC * C + kWinoSkew
    else
#endif
        wino_weights<4>(j, 0, g.OC, u);
    plan.wino_u = u;
    plan.slot_floats -= ((int64_t)plan.wino_ob * g.C + kWinoSkew) * ((plan.wino_mt + 2) * (plan.wino_mt + 2));
}

void conv_f32_wino(const ConvGeom& g, const ConvF32Plan& plan, const float* x, const float* w, const float* b,
                   float* y, void* thread_scratch, size_t stride, ThreadPool* pool) {
    WinoJob j;
    j.g = &g;
    j.x = x;
    j.w = w;
    j.b = b;
    j.y = y;
    j.scratch = static_cast<char*>(thread_scratch);
    j.stride = stride;
    const int MT = plan.wino_mt, X = (MT + 2) * (MT + 2);
    j.TW = (g.OW + MT - 1) / MT;
    j.TH = (g.OH + MT - 1) / MT;
    j.rb = plan.wino_rb;
    j.nblk = (j.TH + j.rb - 1) / j.rb;
#if SDK_FEATURE_X86
    // an even number of equal blocks (at most rb rows each: fewer than planned), whatever the
    // thread count, so the tiles and hence the output bits do not depend on it: 2 threads then
    // take half the rows each (56x56: 3 blocks of 5, 5, 4 rows went as 2.5 blocks to one thread)
    if (j.nblk > 1 && j.nblk % 2) ++j.nblk;
#endif
    j.ob = plan.wino_ob;
    const int64_t tiles = (int64_t)j.rb * j.TW;
    j.v_floats = ((tiles + kWinoPanel - 1) / kWinoPanel * kWinoPanel * g.C + kWinoSkew) * X;
    j.uk = plan.wino_u;
    j.pk = j.uk ? plan.wino_pk : wino_packed_fits(g);
    j.u_floats = j.uk ? 0 : ((int64_t)j.ob * g.C + kWinoSkew) * X;
    wino_pick_isa(j);
    // few tile blocks for the threads: smaller output-channel blocks (multiples of 8 rows)
    const int threads = pool_threads(pool);
    const int64_t blocks = (int64_t)g.N * j.nblk;
#if SDK_FEATURE_X86
    // Tile blocks that do not divide among the threads (one block: 13x13, 27x27, 28x28 planes)
    // split the channels too, into a multiple of `threads` blocks of equal size to 8 rows, at
    // most the planned block: each thread gets the same number of channels. (Blocks of the
    // planned 24 rows gave 128 channels as 5 x 24 + 8 and one thread 72 of them, 256 as
    // 10 x 24 + 16 and one thread 144: 2 threads ran those layers at 1.3-1.5x, not 2x.)
    j.even_ob = false;
    for (int nob = threads; threads > 1 && blocks % threads != 0 && nob * 8 <= g.OC; nob += threads) {
        int most = 0;  // the largest block (M's and the strip's layout)
        for (int o = 0, o0 = 0; o < nob; ++o) {
            const int o1 = o + 1 == nob ? g.OC : (int)((int64_t)g.OC * (o + 1) / nob) & ~7;
            if (o1 - o0 > most) most = o1 - o0;
            o0 = o1;
        }
        if (most <= j.ob) {
            j.ob = most;
            j.nob = nob;
            j.even_ob = true;
            break;
        }
    }
    if (!j.even_ob) j.nob = (g.OC + j.ob - 1) / j.ob;
#else
    if (threads > 1 && blocks < 2 * threads) {
        const int64_t want = (2 * threads + blocks - 1) / blocks;  // channel blocks per tile block
        int ob = (int)(((g.OC + want - 1) / want + 7) / 8 * 8);
        if (ob < j.ob) j.ob = ob;
    }
    j.nob = (g.OC + j.ob - 1) / j.ob;
#endif
    const int64_t tasks = blocks * j.nob;
    // contiguous runs: a thread's tasks of one tile block share its input transform
    int64_t grain = threads > 1 ? tasks / threads : tasks;
#if SDK_WINO_NEON
    if (MT == 2) return parallel_for(pool, tasks, grain < 1 ? 1 : grain, wino_tasks<2>, &j);
#endif
    parallel_for(pool, tasks, grain < 1 ? 1 : grain, wino_tasks<4>, &j);
}

}  // namespace ref
}  // namespace sdk
#endif  // SDK_FEATURE_WINOGRAD
