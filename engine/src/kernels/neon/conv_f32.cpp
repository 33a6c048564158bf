// NEON fp32 depthwise 3x3 and 5x5 convolution (ARMv7 and AArch64), stride 1 or 2, any
// padding; ref::conv_f32 takes it for such geometries while the fp32 NEON tier is on
// (SDK_F32_GEMM=ref or neon_sgemm_set_enabled(0) keep the portable loops).
//
// Per plane, the input rows are first copied into a zero-padded plane in the thread's
// scratch (padded column j = input column j - pl), wide enough that every block reads
// whole vectors without border checks; the pads are zeroed once per call and never
// written, so each plane copies only its input rows (vector copies, no memset/memcpy
// calls). A block is R output rows x 8 columns (R = 4; 3x3 stride 1 on AArch64: 7; 5x5: 2,
// 5x5 stride 1 on AArch64: 4, see rows_for): 2R accumulators, each input vector loaded once for all R rows (stride 1:
// (R - 1) + K input rows x K taps; stride 2: 2(R - 1) + K rows, VLD2 de-interleaving even
// and odd columns). Weights stay in (K * K + 1) / 2 D registers and are used by lane (FMLA
// by element on AArch64; ARMv7 has no fused multiply-add without VFPv4, so VMLA there: the
// same arithmetic as the portable loops). The block is unrolled at compile time over rows
// and taps (templates on K and the stride). Relu/Clip are applied in registers (act_f32's
// values, NaN included, see act4; the kind and bounds held in registers over the plane),
// other activations over the stored plane. (5x5: EfficientNet's and MnasNet's
// depthwise layers, whose 2-pixel borders kept most of a 7x7 or 14x14 plane on the
// portable loops' scalar path.) The busiest shapes run as assembly blocks with the template's
// arithmetic in the same order (so its bits): AArch64 3x3 both strides and 5x5 stride 1
// (dw3_a64), ARMv7 3x3 both strides and 5x5 stride 1 (dw3s1_v7, dw3s2_v7, dw5s1_v7): each
// padded input row loaded once as whole vectors and the shifted ones made by EXT.
#include "kernels/ref/conv.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>

#include "kernels/neon/cmp_neon.h"
#include "kernels/unroll.h"
#include <stddef.h>
#include <string.h>

namespace sdk {
namespace ref {
namespace {

#if defined(__aarch64__)
#define SDK_MLA_LANE(acc, x, w, lane) vfmaq_lane_f32(acc, x, w, lane)
#else
#define SDK_MLA_LANE(acc, x, w, lane) vmlaq_lane_f32(acc, x, w, lane)
#endif

// Output rows per block: 3x3: 4 (each input vector loaded once for 4 output rows: stride 1
// loads 6 rows x 6 vectors per 72 FMLA, where 2 rows loaded 4 x 6 per 36); 3x3 stride 1 on
// AArch64: 7 (9 rows x 6 vectors per 126 FMLA, 14 accumulators of its 32 registers; and the
// MobileNets' and EfficientNet's planes, 112, 56, 28, 14 and 7 rows, are whole blocks: 4
// rows computed 16 of 14 and 8 of 7; ~2.1 instructions per FMLA, was ~2.3; +~900 B of code);
// 5x5: 2 (on ARMv7 8 accumulators and the 13 weight D registers would not fit its 16 Q
// registers); 5x5 stride 1 on AArch64: 4 (dw5s1_a64's assembly; the template's 4-row blocks
// cost ~1.5 KB of code).
#if defined(__aarch64__)
constexpr int rows_for(int k, int s) { return k == 3 ? (s == 1 ? 7 : 4) : (s == 1 ? 4 : 2); }
#else
constexpr int rows_for(int k, int) { return k == 3 ? 4 : 2; }
#endif

struct Layout {
    int32_t nv;  // blocks of 8 output columns per row
    int32_t pw;  // floats per padded row
    int32_t ph;  // padded rows (output rows rounded up to whole blocks)
};

// K x K kernel (K = g.KW): the last block's last load ends at pw - 1 (stride 1: 8 + K - 2
// columns past its first; stride 2: 16 + K - 2, see row_s2).
inline Layout layout(const ConvGeom& g) {
    const int R = rows_for(g.KW, g.sw);
    Layout l;
    l.nv = (g.OW + 7) / 8;
    l.pw = g.sw * 8 * l.nv + g.KW - 1;
    l.ph = ((g.OH + R - 1) / R * R - 1) * g.sh + g.KH;
    return l;
}

// Tap t (row-major over the K x K kernel), by lane of the weight pairs w[t / 2].
template <int T>
__attribute__((always_inline)) inline float32x4_t tap(float32x4_t acc, float32x4_t x, const float32x2_t* w) {
    return SDK_MLA_LANE(acc, x, w[T / 2], T % 2);
}

template <int R>
struct Acc {
    float32x4_t v[R][2];  // output row j of the block: columns 0-3, 4-7
};

// Column tap KW of padded input row RR, inputs x0 (columns 0-3 of the block) and x1
// (4-7): output row J (and the rows after it) takes kh = RR - J * S when that is a kernel row.
template <int K, int S, int R, int RR, int KW, int J = 0>
__attribute__((always_inline)) inline void taps(Acc<R>& a, float32x4_t x0, float32x4_t x1, const float32x2_t* w) {
    if constexpr (J < R) {
        constexpr int kh = RR - J * S;
        if constexpr (kh >= 0 && kh < K) {
            a.v[J][0] = tap<kh * K + KW>(a.v[J][0], x0, w);
            a.v[J][1] = tap<kh * K + KW>(a.v[J][1], x1, w);
        }
        taps<K, S, R, RR, KW, J + 1>(a, x0, x1, w);
    }
}

// Padded input row RR of a stride-1 block: column tap KW reads columns KW..KW + 7.
template <int K, int R, int RR, int KW = 0>
__attribute__((always_inline)) inline void row_s1(Acc<R>& a, const float* r, const float32x2_t* w) {
    if constexpr (KW < K) {
        taps<K, 1, R, RR, KW>(a, vld1q_f32(r + KW), vld1q_f32(r + KW + 4), w);
        row_s1<K, R, RR, KW + 1>(a, r, w);
    }
}

// Padded input row RR of a stride-2 block: columns 0-15 de-interleaved (g.val[0] even,
// g.val[1] odd); column tap KW = 2m + par takes lanes par + 2m + 2j: columns 0-3 from g by
// extraction, 4-7 by their own de-interleaving load at 8 + KW.
template <int K, int R, int RR, int KW = 0>
__attribute__((always_inline)) inline void row_s2(Acc<R>& a, const float* r, const float32x2_t* w, float32x4x2_t p,
                                                  float32x4x2_t q) {
    if constexpr (KW < K) {
        constexpr int par = KW % 2, m = KW / 2;
        if constexpr (m == 0)
            taps<K, 2, R, RR, KW>(a, p.val[par], q.val[par], w);
        else
            taps<K, 2, R, RR, KW>(a, vextq_f32(p.val[par], q.val[par], m), vld2q_f32(r + 8 + KW).val[0], w);
        row_s2<K, R, RR, KW + 1>(a, r, w, p, q);
    }
}

// All padded rows of an R x 8 block ((R - 1) * S + K rows).
template <int K, int S, int R, int RR = 0>
__attribute__((always_inline)) inline void rows(Acc<R>& a, const float* p, int64_t pw, const float32x2_t* w) {
    if constexpr (RR < (R - 1) * S + K) {
        const float* r = p + RR * pw;
        if constexpr (S == 1)
            row_s1<K, R, RR>(a, r, w);
        else
            row_s2<K, R, RR>(a, r, w, vld2q_f32(r), vld2q_f32(r + 8));
        rows<K, S, R, RR + 1>(a, p, pw, w);
    }
}

// Clip with lo <= hi as MAX then MIN (kActClip's selects cost 4 instructions a vector,
// these 2): the same values, NaN included (MAX/MIN return the NaN operand, as x < lo and
// x > hi let it through); a zero equal to a bound may come out with the bound's sign.
constexpr int kClipMaxMin = 100;

// Relu/Clip in registers with act_f32's values, NaN included; kind, lo and hi are the
// caller's locals (kept in registers over the plane, not reloaded per block). Relu on
// AArch64 is FMAXNM with 0 (one instruction: a quiet NaN gives 0, as x > 0 ? x : 0 does; an
// accumulator is never a signalling NaN, FMLA quiets it), on ARMv7 compare + select. A
// Clip whose bounds are not ordered (lo > hi, NaN) never comes here (neon_dw_fits).
__attribute__((always_inline)) inline float32x4_t act4(float32x4_t v, int kind, float32x4_t lo, float32x4_t hi) {
    if (kind == kClipMaxMin) return vminq_f32(vmaxq_f32(v, lo), hi);
#if defined(__aarch64__)
    if (kind == kActRelu) return vmaxnmq_f32(v, vdupq_n_f32(0.0f));
#else
    if (kind == kActRelu) return vbslq_f32(neon_cgt(v, vdupq_n_f32(0.0f)), v, vdupq_n_f32(0.0f));
#endif
    return v;
}

// The n < 8 outputs of a row narrower than a block: whole, half and single-lane stores in
// line (a call, as before, made the block spill its weight registers; rows of 8 or more
// never come here: their last block is moved back to end at the row's end).
__attribute__((always_inline)) inline void store_n(float* o, int n, float32x4_t v0, float32x4_t v1) {
    if (n >= 4) {
        vst1q_f32(o, v0);
        o += 4;
        n -= 4;
        v0 = v1;
    }
    if (n >= 2) {
        vst1_f32(o, vget_low_f32(v0));
        o += 2;
        n -= 2;
        v0 = vextq_f32(v0, v0, 2);
    }
    if (n) vst1q_lane_f32(o, v0, 0);
}

// n floats a row from s to d, rows times (s steps W floats, d steps pw): whole vectors, the
// last ones overlapping their predecessors (n >= 4). The size class is picked once per
// plane, not per row, and the 16-float chunks run on post-incremented pointers: a row cost
// ~27 instructions besides its chunks (of 9), now ~6 (chunks of 4).
inline void copy_rows(float* d, int64_t pw, const float* s, int64_t W, int rows, int n) {
    if (n >= 16) {
        for (; rows > 0; --rows, s += W, d += pw) {
            const float* sp = s;
            float* dp = d;
#if defined(__aarch64__)
            const float* const se = s + n - 16;
            for (; sp < se; sp += 16, dp += 16) vst1q_f32_x4(dp, vld1q_f32_x4(sp));
            vst1q_f32_x4(d + n - 16, vld1q_f32_x4(se));
#else
            // (the last chunk's addresses as their own operands: GCC gives an input the
            // register of an in-out operand holding the same value)
            const float* se = s + n - 16;
            float* de = d + n - 16;
            // VLD1/VST1 of 4 D registers, post-incremented (GCC's loop: 10 instructions per 8 floats)
            __asm__ volatile(
                "b 2f\n"
                "1:\n"
                "vld1.32 {d0-d3}, [%[s]]!\n"
                "vld1.32 {d4-d7}, [%[s]]!\n"
                "vst1.32 {d0-d3}, [%[d]]!\n"
                "vst1.32 {d4-d7}, [%[d]]!\n"
                "2:\n"
                "cmp %[s], %[e]\n"
                "blo 1b\n"
                "vld1.32 {d0-d3}, [%[e]]!\n"
                "vld1.32 {d4-d7}, [%[e]]\n"
                "vst1.32 {d0-d3}, [%[de]]!\n"
                "vst1.32 {d4-d7}, [%[de]]\n"
                : [s] "+r"(sp), [d] "+r"(dp), [e] "+r"(se), [de] "+r"(de)
                :
                : "cc", "memory", "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7");
#endif
        }
    } else if (n >= 8) {
        for (; rows > 0; --rows, s += W, d += pw) {
            const float32x4_t a0 = vld1q_f32(s), a1 = vld1q_f32(s + 4), b0 = vld1q_f32(s + n - 8),
                              b1 = vld1q_f32(s + n - 4);
            vst1q_f32(d, a0);
            vst1q_f32(d + 4, a1);
            vst1q_f32(d + n - 8, b0);
            vst1q_f32(d + n - 4, b1);
        }
    } else if (n >= 4) {
        for (; rows > 0; --rows, s += W, d += pw) {
            const float32x4_t a0 = vld1q_f32(s), b0 = vld1q_f32(s + n - 4);
            vst1q_f32(d, a0);
            vst1q_f32(d + n - 4, b0);
        }
    } else {
        for (; rows > 0; --rows, s += W, d += pw)
            for (int i = 0; i < n; ++i) d[i] = s[i];
    }
}

// The input's rows into the padded plane: row i holds input row i - pt, padded column j
// input column j - pl. Only the input's columns are written: everything else (the pad
// rows and columns) was zeroed once per call (neon_dw_range) and is never written.
void fill(const ConvGeom& g, const Layout& l, const float* x, float* P) {
    const int pl = g.pl < l.pw ? g.pl : l.pw;
    const int n = g.W < l.pw - pl ? g.W : l.pw - pl;  // input columns the blocks read
    const int i0 = g.pt, i1 = g.pt + g.H < l.ph ? g.pt + g.H : l.ph;
    if (i1 > i0) copy_rows(P + (int64_t)i0 * l.pw + pl, l.pw, x, g.W, i1 - i0, n);
}

#if defined(__aarch64__)
// AArch64 3x3 stride 1, in assembly: nrows block rows of nb blocks of 7 rows x 8 columns (and,
// with back != 0, each row's last block moved back to end at the row's end: it recomputes a
// few outputs and stores them again, the same bits). The template's code (~1.9 KB) cost
// ~300 instructions a block with its set-up; here each padded input row is one LD1 of 3
// registers (columns 0-11, post-indexed by the row stride) and 4 EXTs, the weights in v0-v2 by
// lane, the bias in v3, the 14 accumulators in v16-v29 (row j: v(16 + 2j), v(17 + 2j)), Relu's
// zero or Clip's bounds in v30-v31 for the whole call: ~225 a block, the same FMLAs in the
// same order per accumulator (kernel row, then column), so the template's bits.
struct DwA64 {
    const float* r;   // the first block's padded input
    int64_t rs;       // bytes per padded row
    float* o0;        // the first block's output row 0
    int64_t os;       // bytes per output row
    int64_t nb;       // whole blocks per block row
    int64_t back;     // bytes from the end of the whole blocks to the moved-back block (0: none)
    int64_t nrows;    // block rows
    int64_t rs_r, os_r;  // bytes from one block row to the next: 7 * rs, 7 * os
    const float* w;   // the 9 weights
    float bias, lo, hi;
    int32_t kind;     // 0 none, 1 Relu (FMAXNM with 0: act4's values), 2 Clip lo <= hi (FMAX, FMIN)
};
static_assert(offsetof(DwA64, nb) == 32 && offsetof(DwA64, back) == 40 && offsetof(DwA64, nrows) == 48 &&
                  offsetof(DwA64, rs_r) == 56 && offsetof(DwA64, w) == 72 && offsetof(DwA64, bias) == 80 &&
                  offsetof(DwA64, kind) == 92,
              "dw3s1_a64's assembly reads these offsets");
__attribute__((noinline)) void dw3s1_a64(const DwA64* d) {
    const float *r, *p, *rrow;
    float *o0, *o1, *o2, *o3, *o4, *o5, *o6, *orow;
    int64_t rs, os, cnt, bk, nrows, kind;
    asm volatile(
        "ldp %[r], %[rs], [%[d]]\n"
        "ldp %[o0], %[os], [%[d], #16]\n"
        "ldr %[nrows], [%[d], #48]\n"
        "ldr %[p], [%[d], #72]\n"
        "ld1 {v0.4s, v1.4s}, [%[p]], #32\n"  // taps 0-7 in v0-v1, 8 in v2.s[0]
        "ldr s2, [%[p]]\n"
        "add %[p], %[d], #80\n"
        "ld1r {v3.4s}, [%[p]], #4\n"
        "ld1r {v30.4s}, [%[p]], #4\n"
        "ld1r {v31.4s}, [%[p]]\n"
        "ldr %w[kind], [%[d], #92]\n"
        "cmp %w[kind], #1\n"
        "b.ne 10f\n"
        "movi v30.16b, #0\n"
        "10:\n"  // a block row
        "mov %[rrow], %[r]\n"
        "mov %[orow], %[o0]\n"
        "add %[o1], %[o0], %[os]\n"
        "add %[o2], %[o1], %[os]\n"
        "add %[o3], %[o2], %[os]\n"
        "add %[o4], %[o3], %[os]\n"
        "add %[o5], %[o4], %[os]\n"
        "add %[o6], %[o5], %[os]\n"
        "ldp %[cnt], %[bk], [%[d], #32]\n"
        "1:\n"
        "mov v16.16b, v3.16b\n"
        "mov v17.16b, v3.16b\n"
        "mov v18.16b, v3.16b\n"
        "mov v19.16b, v3.16b\n"
        "mov v20.16b, v3.16b\n"
        "mov v21.16b, v3.16b\n"
        "mov v22.16b, v3.16b\n"
        "mov v23.16b, v3.16b\n"
        "mov v24.16b, v3.16b\n"
        "mov v25.16b, v3.16b\n"
        "mov v26.16b, v3.16b\n"
        "mov v27.16b, v3.16b\n"
        "mov v28.16b, v3.16b\n"
        "mov v29.16b, v3.16b\n"
        "mov %[p], %[r]\n"
        "add %[r], %[r], #32\n"
        "ld1 {v4.4s, v5.4s, v6.4s}, [%[p]], %[rs]\n"  // padded row 0: columns 0-11
        "fmla v16.4s, v4.4s, v0.s[0]\n"
        "fmla v17.4s, v5.4s, v0.s[0]\n"
        "ext v7.16b, v4.16b, v5.16b, #4\n"
        "fmla v16.4s, v7.4s, v0.s[1]\n"
        "ext v7.16b, v5.16b, v6.16b, #4\n"
        "fmla v17.4s, v7.4s, v0.s[1]\n"
        "ext v7.16b, v4.16b, v5.16b, #8\n"
        "fmla v16.4s, v7.4s, v0.s[2]\n"
        "ext v7.16b, v5.16b, v6.16b, #8\n"
        "fmla v17.4s, v7.4s, v0.s[2]\n"
        "ld1 {v4.4s, v5.4s, v6.4s}, [%[p]], %[rs]\n"
        "fmla v16.4s, v4.4s, v0.s[3]\n"
        "fmla v18.4s, v4.4s, v0.s[0]\n"
        "fmla v17.4s, v5.4s, v0.s[3]\n"
        "fmla v19.4s, v5.4s, v0.s[0]\n"
        "ext v7.16b, v4.16b, v5.16b, #4\n"
        "fmla v16.4s, v7.4s, v1.s[0]\n"
        "fmla v18.4s, v7.4s, v0.s[1]\n"
        "ext v7.16b, v5.16b, v6.16b, #4\n"
        "fmla v17.4s, v7.4s, v1.s[0]\n"
        "fmla v19.4s, v7.4s, v0.s[1]\n"
        "ext v7.16b, v4.16b, v5.16b, #8\n"
        "fmla v16.4s, v7.4s, v1.s[1]\n"
        "fmla v18.4s, v7.4s, v0.s[2]\n"
        "ext v7.16b, v5.16b, v6.16b, #8\n"
        "fmla v17.4s, v7.4s, v1.s[1]\n"
        "fmla v19.4s, v7.4s, v0.s[2]\n"
        "ld1 {v4.4s, v5.4s, v6.4s}, [%[p]], %[rs]\n"
        "fmla v16.4s, v4.4s, v1.s[2]\n"
        "fmla v18.4s, v4.4s, v0.s[3]\n"
        "fmla v20.4s, v4.4s, v0.s[0]\n"
        "fmla v17.4s, v5.4s, v1.s[2]\n"
        "fmla v19.4s, v5.4s, v0.s[3]\n"
        "fmla v21.4s, v5.4s, v0.s[0]\n"
        "ext v7.16b, v4.16b, v5.16b, #4\n"
        "fmla v16.4s, v7.4s, v1.s[3]\n"
        "fmla v18.4s, v7.4s, v1.s[0]\n"
        "fmla v20.4s, v7.4s, v0.s[1]\n"
        "ext v7.16b, v5.16b, v6.16b, #4\n"
        "fmla v17.4s, v7.4s, v1.s[3]\n"
        "fmla v19.4s, v7.4s, v1.s[0]\n"
        "fmla v21.4s, v7.4s, v0.s[1]\n"
        "ext v7.16b, v4.16b, v5.16b, #8\n"
        "fmla v16.4s, v7.4s, v2.s[0]\n"
        "fmla v18.4s, v7.4s, v1.s[1]\n"
        "fmla v20.4s, v7.4s, v0.s[2]\n"
        "ext v7.16b, v5.16b, v6.16b, #8\n"
        "fmla v17.4s, v7.4s, v2.s[0]\n"
        "fmla v19.4s, v7.4s, v1.s[1]\n"
        "fmla v21.4s, v7.4s, v0.s[2]\n"
        "ld1 {v4.4s, v5.4s, v6.4s}, [%[p]], %[rs]\n"
        "fmla v18.4s, v4.4s, v1.s[2]\n"
        "fmla v20.4s, v4.4s, v0.s[3]\n"
        "fmla v22.4s, v4.4s, v0.s[0]\n"
        "fmla v19.4s, v5.4s, v1.s[2]\n"
        "fmla v21.4s, v5.4s, v0.s[3]\n"
        "fmla v23.4s, v5.4s, v0.s[0]\n"
        "ext v7.16b, v4.16b, v5.16b, #4\n"
        "fmla v18.4s, v7.4s, v1.s[3]\n"
        "fmla v20.4s, v7.4s, v1.s[0]\n"
        "fmla v22.4s, v7.4s, v0.s[1]\n"
        "ext v7.16b, v5.16b, v6.16b, #4\n"
        "fmla v19.4s, v7.4s, v1.s[3]\n"
        "fmla v21.4s, v7.4s, v1.s[0]\n"
        "fmla v23.4s, v7.4s, v0.s[1]\n"
        "ext v7.16b, v4.16b, v5.16b, #8\n"
        "fmla v18.4s, v7.4s, v2.s[0]\n"
        "fmla v20.4s, v7.4s, v1.s[1]\n"
        "fmla v22.4s, v7.4s, v0.s[2]\n"
        "ext v7.16b, v5.16b, v6.16b, #8\n"
        "fmla v19.4s, v7.4s, v2.s[0]\n"
        "fmla v21.4s, v7.4s, v1.s[1]\n"
        "fmla v23.4s, v7.4s, v0.s[2]\n"
        "ld1 {v4.4s, v5.4s, v6.4s}, [%[p]], %[rs]\n"
        "fmla v20.4s, v4.4s, v1.s[2]\n"
        "fmla v22.4s, v4.4s, v0.s[3]\n"
        "fmla v24.4s, v4.4s, v0.s[0]\n"
        "fmla v21.4s, v5.4s, v1.s[2]\n"
        "fmla v23.4s, v5.4s, v0.s[3]\n"
        "fmla v25.4s, v5.4s, v0.s[0]\n"
        "ext v7.16b, v4.16b, v5.16b, #4\n"
        "fmla v20.4s, v7.4s, v1.s[3]\n"
        "fmla v22.4s, v7.4s, v1.s[0]\n"
        "fmla v24.4s, v7.4s, v0.s[1]\n"
        "ext v7.16b, v5.16b, v6.16b, #4\n"
        "fmla v21.4s, v7.4s, v1.s[3]\n"
        "fmla v23.4s, v7.4s, v1.s[0]\n"
        "fmla v25.4s, v7.4s, v0.s[1]\n"
        "ext v7.16b, v4.16b, v5.16b, #8\n"
        "fmla v20.4s, v7.4s, v2.s[0]\n"
        "fmla v22.4s, v7.4s, v1.s[1]\n"
        "fmla v24.4s, v7.4s, v0.s[2]\n"
        "ext v7.16b, v5.16b, v6.16b, #8\n"
        "fmla v21.4s, v7.4s, v2.s[0]\n"
        "fmla v23.4s, v7.4s, v1.s[1]\n"
        "fmla v25.4s, v7.4s, v0.s[2]\n"
        "ld1 {v4.4s, v5.4s, v6.4s}, [%[p]], %[rs]\n"
        "fmla v22.4s, v4.4s, v1.s[2]\n"
        "fmla v24.4s, v4.4s, v0.s[3]\n"
        "fmla v26.4s, v4.4s, v0.s[0]\n"
        "fmla v23.4s, v5.4s, v1.s[2]\n"
        "fmla v25.4s, v5.4s, v0.s[3]\n"
        "fmla v27.4s, v5.4s, v0.s[0]\n"
        "ext v7.16b, v4.16b, v5.16b, #4\n"
        "fmla v22.4s, v7.4s, v1.s[3]\n"
        "fmla v24.4s, v7.4s, v1.s[0]\n"
        "fmla v26.4s, v7.4s, v0.s[1]\n"
        "ext v7.16b, v5.16b, v6.16b, #4\n"
        "fmla v23.4s, v7.4s, v1.s[3]\n"
        "fmla v25.4s, v7.4s, v1.s[0]\n"
        "fmla v27.4s, v7.4s, v0.s[1]\n"
        "ext v7.16b, v4.16b, v5.16b, #8\n"
        "fmla v22.4s, v7.4s, v2.s[0]\n"
        "fmla v24.4s, v7.4s, v1.s[1]\n"
        "fmla v26.4s, v7.4s, v0.s[2]\n"
        "ext v7.16b, v5.16b, v6.16b, #8\n"
        "fmla v23.4s, v7.4s, v2.s[0]\n"
        "fmla v25.4s, v7.4s, v1.s[1]\n"
        "fmla v27.4s, v7.4s, v0.s[2]\n"
        "ld1 {v4.4s, v5.4s, v6.4s}, [%[p]], %[rs]\n"
        "fmla v24.4s, v4.4s, v1.s[2]\n"
        "fmla v26.4s, v4.4s, v0.s[3]\n"
        "fmla v28.4s, v4.4s, v0.s[0]\n"
        "fmla v25.4s, v5.4s, v1.s[2]\n"
        "fmla v27.4s, v5.4s, v0.s[3]\n"
        "fmla v29.4s, v5.4s, v0.s[0]\n"
        "ext v7.16b, v4.16b, v5.16b, #4\n"
        "fmla v24.4s, v7.4s, v1.s[3]\n"
        "fmla v26.4s, v7.4s, v1.s[0]\n"
        "fmla v28.4s, v7.4s, v0.s[1]\n"
        "ext v7.16b, v5.16b, v6.16b, #4\n"
        "fmla v25.4s, v7.4s, v1.s[3]\n"
        "fmla v27.4s, v7.4s, v1.s[0]\n"
        "fmla v29.4s, v7.4s, v0.s[1]\n"
        "ext v7.16b, v4.16b, v5.16b, #8\n"
        "fmla v24.4s, v7.4s, v2.s[0]\n"
        "fmla v26.4s, v7.4s, v1.s[1]\n"
        "fmla v28.4s, v7.4s, v0.s[2]\n"
        "ext v7.16b, v5.16b, v6.16b, #8\n"
        "fmla v25.4s, v7.4s, v2.s[0]\n"
        "fmla v27.4s, v7.4s, v1.s[1]\n"
        "fmla v29.4s, v7.4s, v0.s[2]\n"
        "ld1 {v4.4s, v5.4s, v6.4s}, [%[p]], %[rs]\n"
        "fmla v26.4s, v4.4s, v1.s[2]\n"
        "fmla v28.4s, v4.4s, v0.s[3]\n"
        "fmla v27.4s, v5.4s, v1.s[2]\n"
        "fmla v29.4s, v5.4s, v0.s[3]\n"
        "ext v7.16b, v4.16b, v5.16b, #4\n"
        "fmla v26.4s, v7.4s, v1.s[3]\n"
        "fmla v28.4s, v7.4s, v1.s[0]\n"
        "ext v7.16b, v5.16b, v6.16b, #4\n"
        "fmla v27.4s, v7.4s, v1.s[3]\n"
        "fmla v29.4s, v7.4s, v1.s[0]\n"
        "ext v7.16b, v4.16b, v5.16b, #8\n"
        "fmla v26.4s, v7.4s, v2.s[0]\n"
        "fmla v28.4s, v7.4s, v1.s[1]\n"
        "ext v7.16b, v5.16b, v6.16b, #8\n"
        "fmla v27.4s, v7.4s, v2.s[0]\n"
        "fmla v29.4s, v7.4s, v1.s[1]\n"
        "ld1 {v4.4s, v5.4s, v6.4s}, [%[p]], %[rs]\n"
        "fmla v28.4s, v4.4s, v1.s[2]\n"
        "fmla v29.4s, v5.4s, v1.s[2]\n"
        "ext v7.16b, v4.16b, v5.16b, #4\n"
        "fmla v28.4s, v7.4s, v1.s[3]\n"
        "ext v7.16b, v5.16b, v6.16b, #4\n"
        "fmla v29.4s, v7.4s, v1.s[3]\n"
        "ext v7.16b, v4.16b, v5.16b, #8\n"
        "fmla v28.4s, v7.4s, v2.s[0]\n"
        "ext v7.16b, v5.16b, v6.16b, #8\n"
        "fmla v29.4s, v7.4s, v2.s[0]\n"
        "cbz %w[kind], 3f\n"
        "tbnz %w[kind], #1, 2f\n"
        "fmaxnm v16.4s, v16.4s, v30.4s\n"
        "fmaxnm v17.4s, v17.4s, v30.4s\n"
        "fmaxnm v18.4s, v18.4s, v30.4s\n"
        "fmaxnm v19.4s, v19.4s, v30.4s\n"
        "fmaxnm v20.4s, v20.4s, v30.4s\n"
        "fmaxnm v21.4s, v21.4s, v30.4s\n"
        "fmaxnm v22.4s, v22.4s, v30.4s\n"
        "fmaxnm v23.4s, v23.4s, v30.4s\n"
        "fmaxnm v24.4s, v24.4s, v30.4s\n"
        "fmaxnm v25.4s, v25.4s, v30.4s\n"
        "fmaxnm v26.4s, v26.4s, v30.4s\n"
        "fmaxnm v27.4s, v27.4s, v30.4s\n"
        "fmaxnm v28.4s, v28.4s, v30.4s\n"
        "fmaxnm v29.4s, v29.4s, v30.4s\n"
        "b 3f\n"
        "2:\n"
        "fmax v16.4s, v16.4s, v30.4s\n"
        "fmin v16.4s, v16.4s, v31.4s\n"
        "fmax v17.4s, v17.4s, v30.4s\n"
        "fmin v17.4s, v17.4s, v31.4s\n"
        "fmax v18.4s, v18.4s, v30.4s\n"
        "fmin v18.4s, v18.4s, v31.4s\n"
        "fmax v19.4s, v19.4s, v30.4s\n"
        "fmin v19.4s, v19.4s, v31.4s\n"
        "fmax v20.4s, v20.4s, v30.4s\n"
        "fmin v20.4s, v20.4s, v31.4s\n"
        "fmax v21.4s, v21.4s, v30.4s\n"
        "fmin v21.4s, v21.4s, v31.4s\n"
        "fmax v22.4s, v22.4s, v30.4s\n"
        "fmin v22.4s, v22.4s, v31.4s\n"
        "fmax v23.4s, v23.4s, v30.4s\n"
        "fmin v23.4s, v23.4s, v31.4s\n"
        "fmax v24.4s, v24.4s, v30.4s\n"
        "fmin v24.4s, v24.4s, v31.4s\n"
        "fmax v25.4s, v25.4s, v30.4s\n"
        "fmin v25.4s, v25.4s, v31.4s\n"
        "fmax v26.4s, v26.4s, v30.4s\n"
        "fmin v26.4s, v26.4s, v31.4s\n"
        "fmax v27.4s, v27.4s, v30.4s\n"
        "fmin v27.4s, v27.4s, v31.4s\n"
        "fmax v28.4s, v28.4s, v30.4s\n"
        "fmin v28.4s, v28.4s, v31.4s\n"
        "fmax v29.4s, v29.4s, v30.4s\n"
        "fmin v29.4s, v29.4s, v31.4s\n"
        "3:\n"  // rows 6 to 0
        "st1 {v28.4s, v29.4s}, [%[o6]], #32\n"
        "st1 {v26.4s, v27.4s}, [%[o5]], #32\n"
        "st1 {v24.4s, v25.4s}, [%[o4]], #32\n"
        "st1 {v22.4s, v23.4s}, [%[o3]], #32\n"
        "st1 {v20.4s, v21.4s}, [%[o2]], #32\n"
        "st1 {v18.4s, v19.4s}, [%[o1]], #32\n"
        "st1 {v16.4s, v17.4s}, [%[o0]], #32\n"
        "subs %[cnt], %[cnt], #1\n"
        "b.ne 1b\n"
        "cbz %[bk], 5f\n"  // the moved-back block
        "add %[r], %[r], %[bk]\n"
        "add %[o0], %[o0], %[bk]\n"
        "add %[o1], %[o1], %[bk]\n"
        "add %[o2], %[o2], %[bk]\n"
        "add %[o3], %[o3], %[bk]\n"
        "add %[o4], %[o4], %[bk]\n"
        "add %[o5], %[o5], %[bk]\n"
        "add %[o6], %[o6], %[bk]\n"
        "mov %[bk], #0\n"
        "mov %[cnt], #1\n"
        "b 1b\n"
        "5:\n"
        "ldp %[p], %[cnt], [%[d], #56]\n"
        "add %[r], %[rrow], %[p]\n"
        "add %[o0], %[orow], %[cnt]\n"
        "subs %[nrows], %[nrows], #1\n"
        "b.ne 10b\n"
        : [r] "=&r"(r), [p] "=&r"(p), [o0] "=&r"(o0), [o1] "=&r"(o1), [o2] "=&r"(o2), [o3] "=&r"(o3),
          [o4] "=&r"(o4), [o5] "=&r"(o5), [o6] "=&r"(o6), [rs] "=&r"(rs), [os] "=&r"(os), [cnt] "=&r"(cnt),
          [bk] "=&r"(bk), [nrows] "=&r"(nrows), [kind] "=&r"(kind), [rrow] "=&r"(rrow), [orow] "=&r"(orow)
        : [d] "r"(d)
        : "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v17", "v18", "v19", "v20", "v21",
          "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
}
// AArch64 3x3 stride 2, as dw3s1_a64 (its record, rs_r = 8 rows): blocks of 4 rows x 8
// columns, each padded input row 2 LD2s (columns 0-15, even and odd apart) + column 16 and one
// EXT, the same FMLAs in the same order per accumulator as the template's.
__attribute__((noinline)) void dw3s2_a64(const DwA64* d) {
    const float *r, *p, *rrow;
    float *o0, *o1, *o2, *o3, *orow;
    int64_t rs, os, cnt, bk, nrows, kind;
    asm volatile(
        "ldp %[r], %[rs], [%[d]]\n"
        "sub %[rs], %[rs], #32\n"
        "ldp %[o0], %[os], [%[d], #16]\n"
        "ldr %[nrows], [%[d], #48]\n"
        "ldr %[p], [%[d], #72]\n"
        "ld1 {v0.4s, v1.4s}, [%[p]], #32\n"  // taps 0-7 in v0-v1, 8 in v2.s[0]
        "ldr s2, [%[p]]\n"
        "add %[p], %[d], #80\n"
        "ld1r {v3.4s}, [%[p]], #4\n"
        "ld1r {v30.4s}, [%[p]], #4\n"
        "ld1r {v31.4s}, [%[p]]\n"
        "ldr %w[kind], [%[d], #92]\n"
        "cmp %w[kind], #1\n"
        "b.ne 10f\n"
        "movi v30.16b, #0\n"
        "10:\n"  // a block row
        "mov %[rrow], %[r]\n"
        "mov %[orow], %[o0]\n"
        "add %[o1], %[o0], %[os]\n"
        "add %[o2], %[o1], %[os]\n"
        "add %[o3], %[o2], %[os]\n"
        "ldp %[cnt], %[bk], [%[d], #32]\n"
        "1:\n"
        "mov v16.16b, v3.16b\n"
        "mov v17.16b, v3.16b\n"
        "mov v18.16b, v3.16b\n"
        "mov v19.16b, v3.16b\n"
        "mov v20.16b, v3.16b\n"
        "mov v21.16b, v3.16b\n"
        "mov v22.16b, v3.16b\n"
        "mov v23.16b, v3.16b\n"
        "mov %[p], %[r]\n"
        "add %[r], %[r], #64\n"
        "ld2 {v4.4s, v5.4s}, [%[p]], #32\n"  // padded row 0: columns 0-7 (even in v4, odd in v5)
        "ldr s8, [%[p], #32]\n"  // column 16
        "ld2 {v6.4s, v7.4s}, [%[p]], %[rs]\n"  // columns 8-15, then on to the next row
        "fmla v16.4s, v4.4s, v0.s[0]\n"
        "fmla v17.4s, v6.4s, v0.s[0]\n"
        "fmla v16.4s, v5.4s, v0.s[1]\n"
        "fmla v17.4s, v7.4s, v0.s[1]\n"
        "ext v9.16b, v4.16b, v6.16b, #4\n"
        "fmla v16.4s, v9.4s, v0.s[2]\n"
        "ext v9.16b, v6.16b, v8.16b, #4\n"
        "fmla v17.4s, v9.4s, v0.s[2]\n"
        "ld2 {v4.4s, v5.4s}, [%[p]], #32\n"
        "ldr s8, [%[p], #32]\n"
        "ld2 {v6.4s, v7.4s}, [%[p]], %[rs]\n"
        "fmla v16.4s, v4.4s, v0.s[3]\n"
        "fmla v17.4s, v6.4s, v0.s[3]\n"
        "fmla v16.4s, v5.4s, v1.s[0]\n"
        "fmla v17.4s, v7.4s, v1.s[0]\n"
        "ext v9.16b, v4.16b, v6.16b, #4\n"
        "fmla v16.4s, v9.4s, v1.s[1]\n"
        "ext v9.16b, v6.16b, v8.16b, #4\n"
        "fmla v17.4s, v9.4s, v1.s[1]\n"
        "ld2 {v4.4s, v5.4s}, [%[p]], #32\n"
        "ldr s8, [%[p], #32]\n"
        "ld2 {v6.4s, v7.4s}, [%[p]], %[rs]\n"
        "fmla v16.4s, v4.4s, v1.s[2]\n"
        "fmla v18.4s, v4.4s, v0.s[0]\n"
        "fmla v17.4s, v6.4s, v1.s[2]\n"
        "fmla v19.4s, v6.4s, v0.s[0]\n"
        "fmla v16.4s, v5.4s, v1.s[3]\n"
        "fmla v18.4s, v5.4s, v0.s[1]\n"
        "fmla v17.4s, v7.4s, v1.s[3]\n"
        "fmla v19.4s, v7.4s, v0.s[1]\n"
        "ext v9.16b, v4.16b, v6.16b, #4\n"
        "fmla v16.4s, v9.4s, v2.s[0]\n"
        "fmla v18.4s, v9.4s, v0.s[2]\n"
        "ext v9.16b, v6.16b, v8.16b, #4\n"
        "fmla v17.4s, v9.4s, v2.s[0]\n"
        "fmla v19.4s, v9.4s, v0.s[2]\n"
        "ld2 {v4.4s, v5.4s}, [%[p]], #32\n"
        "ldr s8, [%[p], #32]\n"
        "ld2 {v6.4s, v7.4s}, [%[p]], %[rs]\n"
        "fmla v18.4s, v4.4s, v0.s[3]\n"
        "fmla v19.4s, v6.4s, v0.s[3]\n"
        "fmla v18.4s, v5.4s, v1.s[0]\n"
        "fmla v19.4s, v7.4s, v1.s[0]\n"
        "ext v9.16b, v4.16b, v6.16b, #4\n"
        "fmla v18.4s, v9.4s, v1.s[1]\n"
        "ext v9.16b, v6.16b, v8.16b, #4\n"
        "fmla v19.4s, v9.4s, v1.s[1]\n"
        "ld2 {v4.4s, v5.4s}, [%[p]], #32\n"
        "ldr s8, [%[p], #32]\n"
        "ld2 {v6.4s, v7.4s}, [%[p]], %[rs]\n"
        "fmla v18.4s, v4.4s, v1.s[2]\n"
        "fmla v20.4s, v4.4s, v0.s[0]\n"
        "fmla v19.4s, v6.4s, v1.s[2]\n"
        "fmla v21.4s, v6.4s, v0.s[0]\n"
        "fmla v18.4s, v5.4s, v1.s[3]\n"
        "fmla v20.4s, v5.4s, v0.s[1]\n"
        "fmla v19.4s, v7.4s, v1.s[3]\n"
        "fmla v21.4s, v7.4s, v0.s[1]\n"
        "ext v9.16b, v4.16b, v6.16b, #4\n"
        "fmla v18.4s, v9.4s, v2.s[0]\n"
        "fmla v20.4s, v9.4s, v0.s[2]\n"
        "ext v9.16b, v6.16b, v8.16b, #4\n"
        "fmla v19.4s, v9.4s, v2.s[0]\n"
        "fmla v21.4s, v9.4s, v0.s[2]\n"
        "ld2 {v4.4s, v5.4s}, [%[p]], #32\n"
        "ldr s8, [%[p], #32]\n"
        "ld2 {v6.4s, v7.4s}, [%[p]], %[rs]\n"
        "fmla v20.4s, v4.4s, v0.s[3]\n"
        "fmla v21.4s, v6.4s, v0.s[3]\n"
        "fmla v20.4s, v5.4s, v1.s[0]\n"
        "fmla v21.4s, v7.4s, v1.s[0]\n"
        "ext v9.16b, v4.16b, v6.16b, #4\n"
        "fmla v20.4s, v9.4s, v1.s[1]\n"
        "ext v9.16b, v6.16b, v8.16b, #4\n"
        "fmla v21.4s, v9.4s, v1.s[1]\n"
        "ld2 {v4.4s, v5.4s}, [%[p]], #32\n"
        "ldr s8, [%[p], #32]\n"
        "ld2 {v6.4s, v7.4s}, [%[p]], %[rs]\n"
        "fmla v20.4s, v4.4s, v1.s[2]\n"
        "fmla v22.4s, v4.4s, v0.s[0]\n"
        "fmla v21.4s, v6.4s, v1.s[2]\n"
        "fmla v23.4s, v6.4s, v0.s[0]\n"
        "fmla v20.4s, v5.4s, v1.s[3]\n"
        "fmla v22.4s, v5.4s, v0.s[1]\n"
        "fmla v21.4s, v7.4s, v1.s[3]\n"
        "fmla v23.4s, v7.4s, v0.s[1]\n"
        "ext v9.16b, v4.16b, v6.16b, #4\n"
        "fmla v20.4s, v9.4s, v2.s[0]\n"
        "fmla v22.4s, v9.4s, v0.s[2]\n"
        "ext v9.16b, v6.16b, v8.16b, #4\n"
        "fmla v21.4s, v9.4s, v2.s[0]\n"
        "fmla v23.4s, v9.4s, v0.s[2]\n"
        "ld2 {v4.4s, v5.4s}, [%[p]], #32\n"
        "ldr s8, [%[p], #32]\n"
        "ld2 {v6.4s, v7.4s}, [%[p]], %[rs]\n"
        "fmla v22.4s, v4.4s, v0.s[3]\n"
        "fmla v23.4s, v6.4s, v0.s[3]\n"
        "fmla v22.4s, v5.4s, v1.s[0]\n"
        "fmla v23.4s, v7.4s, v1.s[0]\n"
        "ext v9.16b, v4.16b, v6.16b, #4\n"
        "fmla v22.4s, v9.4s, v1.s[1]\n"
        "ext v9.16b, v6.16b, v8.16b, #4\n"
        "fmla v23.4s, v9.4s, v1.s[1]\n"
        "ld2 {v4.4s, v5.4s}, [%[p]], #32\n"
        "ldr s8, [%[p], #32]\n"
        "ld2 {v6.4s, v7.4s}, [%[p]], %[rs]\n"
        "fmla v22.4s, v4.4s, v1.s[2]\n"
        "fmla v23.4s, v6.4s, v1.s[2]\n"
        "fmla v22.4s, v5.4s, v1.s[3]\n"
        "fmla v23.4s, v7.4s, v1.s[3]\n"
        "ext v9.16b, v4.16b, v6.16b, #4\n"
        "fmla v22.4s, v9.4s, v2.s[0]\n"
        "ext v9.16b, v6.16b, v8.16b, #4\n"
        "fmla v23.4s, v9.4s, v2.s[0]\n"
        "cbz %w[kind], 3f\n"
        "tbnz %w[kind], #1, 2f\n"
        "fmaxnm v16.4s, v16.4s, v30.4s\n"
        "fmaxnm v17.4s, v17.4s, v30.4s\n"
        "fmaxnm v18.4s, v18.4s, v30.4s\n"
        "fmaxnm v19.4s, v19.4s, v30.4s\n"
        "fmaxnm v20.4s, v20.4s, v30.4s\n"
        "fmaxnm v21.4s, v21.4s, v30.4s\n"
        "fmaxnm v22.4s, v22.4s, v30.4s\n"
        "fmaxnm v23.4s, v23.4s, v30.4s\n"
        "b 3f\n"
        "2:\n"
        "fmax v16.4s, v16.4s, v30.4s\n"
        "fmin v16.4s, v16.4s, v31.4s\n"
        "fmax v17.4s, v17.4s, v30.4s\n"
        "fmin v17.4s, v17.4s, v31.4s\n"
        "fmax v18.4s, v18.4s, v30.4s\n"
        "fmin v18.4s, v18.4s, v31.4s\n"
        "fmax v19.4s, v19.4s, v30.4s\n"
        "fmin v19.4s, v19.4s, v31.4s\n"
        "fmax v20.4s, v20.4s, v30.4s\n"
        "fmin v20.4s, v20.4s, v31.4s\n"
        "fmax v21.4s, v21.4s, v30.4s\n"
        "fmin v21.4s, v21.4s, v31.4s\n"
        "fmax v22.4s, v22.4s, v30.4s\n"
        "fmin v22.4s, v22.4s, v31.4s\n"
        "fmax v23.4s, v23.4s, v30.4s\n"
        "fmin v23.4s, v23.4s, v31.4s\n"
        "3:\n"  // rows 3 to 0
        "st1 {v22.4s, v23.4s}, [%[o3]], #32\n"
        "st1 {v20.4s, v21.4s}, [%[o2]], #32\n"
        "st1 {v18.4s, v19.4s}, [%[o1]], #32\n"
        "st1 {v16.4s, v17.4s}, [%[o0]], #32\n"
        "subs %[cnt], %[cnt], #1\n"
        "b.ne 1b\n"
        "cbz %[bk], 5f\n"  // the moved-back block (twice the columns back in the input)
        "add %[r], %[r], %[bk], lsl #1\n"
        "add %[o0], %[o0], %[bk]\n"
        "add %[o1], %[o1], %[bk]\n"
        "add %[o2], %[o2], %[bk]\n"
        "add %[o3], %[o3], %[bk]\n"
        "mov %[bk], #0\n"
        "mov %[cnt], #1\n"
        "b 1b\n"
        "5:\n"
        "ldp %[p], %[cnt], [%[d], #56]\n"
        "add %[r], %[rrow], %[p]\n"
        "add %[o0], %[orow], %[cnt]\n"
        "subs %[nrows], %[nrows], #1\n"
        "b.ne 10b\n"
        : [r] "=&r"(r), [p] "=&r"(p), [o0] "=&r"(o0), [o1] "=&r"(o1), [o2] "=&r"(o2), [o3] "=&r"(o3),
          [rs] "=&r"(rs), [os] "=&r"(os), [cnt] "=&r"(cnt), [bk] "=&r"(bk), [nrows] "=&r"(nrows), [kind] "=&r"(kind),
          [rrow] "=&r"(rrow), [orow] "=&r"(orow)
        : [d] "r"(d)
        : "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v16", "v17", "v18", "v19",
          "v20", "v21", "v22", "v23", "v30", "v31");
}

// AArch64 5x5 stride 1 (EfficientNet's, MobileNetV3's), as dw3s1_a64 (its record, rs_r = 4
// rows): blocks of 4 rows x 8 columns (the template ran 2), each padded input row one LD1 of 3
// registers + 6 EXTs, the 25 weights in v0-v6 by lane, the bias in v7, the same FMLAs in the
// same order per accumulator as the template's.
__attribute__((noinline)) void dw5s1_a64(const DwA64* d) {
    const float *r, *p, *rrow;
    float *o0, *o1, *o2, *o3, *orow;
    int64_t rs, os, cnt, bk, nrows, kind;
    asm volatile(
        "ldp %[r], %[rs], [%[d]]\n"
        "ldp %[o0], %[os], [%[d], #16]\n"
        "ldr %[nrows], [%[d], #48]\n"
        "ldr %[p], [%[d], #72]\n"
        "ld1 {v0.4s, v1.4s, v2.4s, v3.4s}, [%[p]], #64\n"  // taps 0-23 in v0-v5, 24 in v6.s[0]
        "ld1 {v4.4s, v5.4s}, [%[p]], #32\n"
        "ldr s6, [%[p]]\n"
        "add %[p], %[d], #80\n"
        "ld1r {v7.4s}, [%[p]], #4\n"
        "ld1r {v30.4s}, [%[p]], #4\n"
        "ld1r {v31.4s}, [%[p]]\n"
        "ldr %w[kind], [%[d], #92]\n"
        "cmp %w[kind], #1\n"
        "b.ne 10f\n"
        "movi v30.16b, #0\n"
        "10:\n"  // a block row
        "mov %[rrow], %[r]\n"
        "mov %[orow], %[o0]\n"
        "add %[o1], %[o0], %[os]\n"
        "add %[o2], %[o1], %[os]\n"
        "add %[o3], %[o2], %[os]\n"
        "ldp %[cnt], %[bk], [%[d], #32]\n"
        "1:\n"
        "mov v16.16b, v7.16b\n"
        "mov v17.16b, v7.16b\n"
        "mov v18.16b, v7.16b\n"
        "mov v19.16b, v7.16b\n"
        "mov v20.16b, v7.16b\n"
        "mov v21.16b, v7.16b\n"
        "mov v22.16b, v7.16b\n"
        "mov v23.16b, v7.16b\n"
        "mov %[p], %[r]\n"
        "add %[r], %[r], #32\n"
        "ld1 {v8.4s, v9.4s, v10.4s}, [%[p]], %[rs]\n"  // padded row 0: columns 0-11
        "fmla v16.4s, v8.4s, v0.s[0]\n"
        "fmla v17.4s, v9.4s, v0.s[0]\n"
        "ext v11.16b, v8.16b, v9.16b, #4\n"
        "fmla v16.4s, v11.4s, v0.s[1]\n"
        "ext v11.16b, v9.16b, v10.16b, #4\n"
        "fmla v17.4s, v11.4s, v0.s[1]\n"
        "ext v11.16b, v8.16b, v9.16b, #8\n"
        "fmla v16.4s, v11.4s, v0.s[2]\n"
        "ext v11.16b, v9.16b, v10.16b, #8\n"
        "fmla v17.4s, v11.4s, v0.s[2]\n"
        "ext v11.16b, v8.16b, v9.16b, #12\n"
        "fmla v16.4s, v11.4s, v0.s[3]\n"
        "ext v11.16b, v9.16b, v10.16b, #12\n"
        "fmla v17.4s, v11.4s, v0.s[3]\n"
        "fmla v16.4s, v9.4s, v1.s[0]\n"
        "fmla v17.4s, v10.4s, v1.s[0]\n"
        "ld1 {v8.4s, v9.4s, v10.4s}, [%[p]], %[rs]\n"
        "fmla v16.4s, v8.4s, v1.s[1]\n"
        "fmla v18.4s, v8.4s, v0.s[0]\n"
        "fmla v17.4s, v9.4s, v1.s[1]\n"
        "fmla v19.4s, v9.4s, v0.s[0]\n"
        "ext v11.16b, v8.16b, v9.16b, #4\n"
        "fmla v16.4s, v11.4s, v1.s[2]\n"
        "fmla v18.4s, v11.4s, v0.s[1]\n"
        "ext v11.16b, v9.16b, v10.16b, #4\n"
        "fmla v17.4s, v11.4s, v1.s[2]\n"
        "fmla v19.4s, v11.4s, v0.s[1]\n"
        "ext v11.16b, v8.16b, v9.16b, #8\n"
        "fmla v16.4s, v11.4s, v1.s[3]\n"
        "fmla v18.4s, v11.4s, v0.s[2]\n"
        "ext v11.16b, v9.16b, v10.16b, #8\n"
        "fmla v17.4s, v11.4s, v1.s[3]\n"
        "fmla v19.4s, v11.4s, v0.s[2]\n"
        "ext v11.16b, v8.16b, v9.16b, #12\n"
        "fmla v16.4s, v11.4s, v2.s[0]\n"
        "fmla v18.4s, v11.4s, v0.s[3]\n"
        "ext v11.16b, v9.16b, v10.16b, #12\n"
        "fmla v17.4s, v11.4s, v2.s[0]\n"
        "fmla v19.4s, v11.4s, v0.s[3]\n"
        "fmla v16.4s, v9.4s, v2.s[1]\n"
        "fmla v18.4s, v9.4s, v1.s[0]\n"
        "fmla v17.4s, v10.4s, v2.s[1]\n"
        "fmla v19.4s, v10.4s, v1.s[0]\n"
        "ld1 {v8.4s, v9.4s, v10.4s}, [%[p]], %[rs]\n"
        "fmla v16.4s, v8.4s, v2.s[2]\n"
        "fmla v18.4s, v8.4s, v1.s[1]\n"
        "fmla v20.4s, v8.4s, v0.s[0]\n"
        "fmla v17.4s, v9.4s, v2.s[2]\n"
        "fmla v19.4s, v9.4s, v1.s[1]\n"
        "fmla v21.4s, v9.4s, v0.s[0]\n"
        "ext v11.16b, v8.16b, v9.16b, #4\n"
        "fmla v16.4s, v11.4s, v2.s[3]\n"
        "fmla v18.4s, v11.4s, v1.s[2]\n"
        "fmla v20.4s, v11.4s, v0.s[1]\n"
        "ext v11.16b, v9.16b, v10.16b, #4\n"
        "fmla v17.4s, v11.4s, v2.s[3]\n"
        "fmla v19.4s, v11.4s, v1.s[2]\n"
        "fmla v21.4s, v11.4s, v0.s[1]\n"
        "ext v11.16b, v8.16b, v9.16b, #8\n"
        "fmla v16.4s, v11.4s, v3.s[0]\n"
        "fmla v18.4s, v11.4s, v1.s[3]\n"
        "fmla v20.4s, v11.4s, v0.s[2]\n"
        "ext v11.16b, v9.16b, v10.16b, #8\n"
        "fmla v17.4s, v11.4s, v3.s[0]\n"
        "fmla v19.4s, v11.4s, v1.s[3]\n"
        "fmla v21.4s, v11.4s, v0.s[2]\n"
        "ext v11.16b, v8.16b, v9.16b, #12\n"
        "fmla v16.4s, v11.4s, v3.s[1]\n"
        "fmla v18.4s, v11.4s, v2.s[0]\n"
        "fmla v20.4s, v11.4s, v0.s[3]\n"
        "ext v11.16b, v9.16b, v10.16b, #12\n"
        "fmla v17.4s, v11.4s, v3.s[1]\n"
        "fmla v19.4s, v11.4s, v2.s[0]\n"
        "fmla v21.4s, v11.4s, v0.s[3]\n"
        "fmla v16.4s, v9.4s, v3.s[2]\n"
        "fmla v18.4s, v9.4s, v2.s[1]\n"
        "fmla v20.4s, v9.4s, v1.s[0]\n"
        "fmla v17.4s, v10.4s, v3.s[2]\n"
        "fmla v19.4s, v10.4s, v2.s[1]\n"
        "fmla v21.4s, v10.4s, v1.s[0]\n"
        "ld1 {v8.4s, v9.4s, v10.4s}, [%[p]], %[rs]\n"
        "fmla v16.4s, v8.4s, v3.s[3]\n"
        "fmla v18.4s, v8.4s, v2.s[2]\n"
        "fmla v20.4s, v8.4s, v1.s[1]\n"
        "fmla v22.4s, v8.4s, v0.s[0]\n"
        "fmla v17.4s, v9.4s, v3.s[3]\n"
        "fmla v19.4s, v9.4s, v2.s[2]\n"
        "fmla v21.4s, v9.4s, v1.s[1]\n"
        "fmla v23.4s, v9.4s, v0.s[0]\n"
        "ext v11.16b, v8.16b, v9.16b, #4\n"
        "fmla v16.4s, v11.4s, v4.s[0]\n"
        "fmla v18.4s, v11.4s, v2.s[3]\n"
        "fmla v20.4s, v11.4s, v1.s[2]\n"
        "fmla v22.4s, v11.4s, v0.s[1]\n"
        "ext v11.16b, v9.16b, v10.16b, #4\n"
        "fmla v17.4s, v11.4s, v4.s[0]\n"
        "fmla v19.4s, v11.4s, v2.s[3]\n"
        "fmla v21.4s, v11.4s, v1.s[2]\n"
        "fmla v23.4s, v11.4s, v0.s[1]\n"
        "ext v11.16b, v8.16b, v9.16b, #8\n"
        "fmla v16.4s, v11.4s, v4.s[1]\n"
        "fmla v18.4s, v11.4s, v3.s[0]\n"
        "fmla v20.4s, v11.4s, v1.s[3]\n"
        "fmla v22.4s, v11.4s, v0.s[2]\n"
        "ext v11.16b, v9.16b, v10.16b, #8\n"
        "fmla v17.4s, v11.4s, v4.s[1]\n"
        "fmla v19.4s, v11.4s, v3.s[0]\n"
        "fmla v21.4s, v11.4s, v1.s[3]\n"
        "fmla v23.4s, v11.4s, v0.s[2]\n"
        "ext v11.16b, v8.16b, v9.16b, #12\n"
        "fmla v16.4s, v11.4s, v4.s[2]\n"
        "fmla v18.4s, v11.4s, v3.s[1]\n"
        "fmla v20.4s, v11.4s, v2.s[0]\n"
        "fmla v22.4s, v11.4s, v0.s[3]\n"
        "ext v11.16b, v9.16b, v10.16b, #12\n"
        "fmla v17.4s, v11.4s, v4.s[2]\n"
        "fmla v19.4s, v11.4s, v3.s[1]\n"
        "fmla v21.4s, v11.4s, v2.s[0]\n"
        "fmla v23.4s, v11.4s, v0.s[3]\n"
        "fmla v16.4s, v9.4s, v4.s[3]\n"
        "fmla v18.4s, v9.4s, v3.s[2]\n"
        "fmla v20.4s, v9.4s, v2.s[1]\n"
        "fmla v22.4s, v9.4s, v1.s[0]\n"
        "fmla v17.4s, v10.4s, v4.s[3]\n"
        "fmla v19.4s, v10.4s, v3.s[2]\n"
        "fmla v21.4s, v10.4s, v2.s[1]\n"
        "fmla v23.4s, v10.4s, v1.s[0]\n"
        "ld1 {v8.4s, v9.4s, v10.4s}, [%[p]], %[rs]\n"
        "fmla v16.4s, v8.4s, v5.s[0]\n"
        "fmla v18.4s, v8.4s, v3.s[3]\n"
        "fmla v20.4s, v8.4s, v2.s[2]\n"
        "fmla v22.4s, v8.4s, v1.s[1]\n"
        "fmla v17.4s, v9.4s, v5.s[0]\n"
        "fmla v19.4s, v9.4s, v3.s[3]\n"
        "fmla v21.4s, v9.4s, v2.s[2]\n"
        "fmla v23.4s, v9.4s, v1.s[1]\n"
        "ext v11.16b, v8.16b, v9.16b, #4\n"
        "fmla v16.4s, v11.4s, v5.s[1]\n"
        "fmla v18.4s, v11.4s, v4.s[0]\n"
        "fmla v20.4s, v11.4s, v2.s[3]\n"
        "fmla v22.4s, v11.4s, v1.s[2]\n"
        "ext v11.16b, v9.16b, v10.16b, #4\n"
        "fmla v17.4s, v11.4s, v5.s[1]\n"
        "fmla v19.4s, v11.4s, v4.s[0]\n"
        "fmla v21.4s, v11.4s, v2.s[3]\n"
        "fmla v23.4s, v11.4s, v1.s[2]\n"
        "ext v11.16b, v8.16b, v9.16b, #8\n"
        "fmla v16.4s, v11.4s, v5.s[2]\n"
        "fmla v18.4s, v11.4s, v4.s[1]\n"
        "fmla v20.4s, v11.4s, v3.s[0]\n"
        "fmla v22.4s, v11.4s, v1.s[3]\n"
        "ext v11.16b, v9.16b, v10.16b, #8\n"
        "fmla v17.4s, v11.4s, v5.s[2]\n"
        "fmla v19.4s, v11.4s, v4.s[1]\n"
        "fmla v21.4s, v11.4s, v3.s[0]\n"
        "fmla v23.4s, v11.4s, v1.s[3]\n"
        "ext v11.16b, v8.16b, v9.16b, #12\n"
        "fmla v16.4s, v11.4s, v5.s[3]\n"
        "fmla v18.4s, v11.4s, v4.s[2]\n"
        "fmla v20.4s, v11.4s, v3.s[1]\n"
        "fmla v22.4s, v11.4s, v2.s[0]\n"
        "ext v11.16b, v9.16b, v10.16b, #12\n"
        "fmla v17.4s, v11.4s, v5.s[3]\n"
        "fmla v19.4s, v11.4s, v4.s[2]\n"
        "fmla v21.4s, v11.4s, v3.s[1]\n"
        "fmla v23.4s, v11.4s, v2.s[0]\n"
        "fmla v16.4s, v9.4s, v6.s[0]\n"
        "fmla v18.4s, v9.4s, v4.s[3]\n"
        "fmla v20.4s, v9.4s, v3.s[2]\n"
        "fmla v22.4s, v9.4s, v2.s[1]\n"
        "fmla v17.4s, v10.4s, v6.s[0]\n"
        "fmla v19.4s, v10.4s, v4.s[3]\n"
        "fmla v21.4s, v10.4s, v3.s[2]\n"
        "fmla v23.4s, v10.4s, v2.s[1]\n"
        "ld1 {v8.4s, v9.4s, v10.4s}, [%[p]], %[rs]\n"
        "fmla v18.4s, v8.4s, v5.s[0]\n"
        "fmla v20.4s, v8.4s, v3.s[3]\n"
        "fmla v22.4s, v8.4s, v2.s[2]\n"
        "fmla v19.4s, v9.4s, v5.s[0]\n"
        "fmla v21.4s, v9.4s, v3.s[3]\n"
        "fmla v23.4s, v9.4s, v2.s[2]\n"
        "ext v11.16b, v8.16b, v9.16b, #4\n"
        "fmla v18.4s, v11.4s, v5.s[1]\n"
        "fmla v20.4s, v11.4s, v4.s[0]\n"
        "fmla v22.4s, v11.4s, v2.s[3]\n"
        "ext v11.16b, v9.16b, v10.16b, #4\n"
        "fmla v19.4s, v11.4s, v5.s[1]\n"
        "fmla v21.4s, v11.4s, v4.s[0]\n"
        "fmla v23.4s, v11.4s, v2.s[3]\n"
        "ext v11.16b, v8.16b, v9.16b, #8\n"
        "fmla v18.4s, v11.4s, v5.s[2]\n"
        "fmla v20.4s, v11.4s, v4.s[1]\n"
        "fmla v22.4s, v11.4s, v3.s[0]\n"
        "ext v11.16b, v9.16b, v10.16b, #8\n"
        "fmla v19.4s, v11.4s, v5.s[2]\n"
        "fmla v21.4s, v11.4s, v4.s[1]\n"
        "fmla v23.4s, v11.4s, v3.s[0]\n"
        "ext v11.16b, v8.16b, v9.16b, #12\n"
        "fmla v18.4s, v11.4s, v5.s[3]\n"
        "fmla v20.4s, v11.4s, v4.s[2]\n"
        "fmla v22.4s, v11.4s, v3.s[1]\n"
        "ext v11.16b, v9.16b, v10.16b, #12\n"
        "fmla v19.4s, v11.4s, v5.s[3]\n"
        "fmla v21.4s, v11.4s, v4.s[2]\n"
        "fmla v23.4s, v11.4s, v3.s[1]\n"
        "fmla v18.4s, v9.4s, v6.s[0]\n"
        "fmla v20.4s, v9.4s, v4.s[3]\n"
        "fmla v22.4s, v9.4s, v3.s[2]\n"
        "fmla v19.4s, v10.4s, v6.s[0]\n"
        "fmla v21.4s, v10.4s, v4.s[3]\n"
        "fmla v23.4s, v10.4s, v3.s[2]\n"
        "ld1 {v8.4s, v9.4s, v10.4s}, [%[p]], %[rs]\n"
        "fmla v20.4s, v8.4s, v5.s[0]\n"
        "fmla v22.4s, v8.4s, v3.s[3]\n"
        "fmla v21.4s, v9.4s, v5.s[0]\n"
        "fmla v23.4s, v9.4s, v3.s[3]\n"
        "ext v11.16b, v8.16b, v9.16b, #4\n"
        "fmla v20.4s, v11.4s, v5.s[1]\n"
        "fmla v22.4s, v11.4s, v4.s[0]\n"
        "ext v11.16b, v9.16b, v10.16b, #4\n"
        "fmla v21.4s, v11.4s, v5.s[1]\n"
        "fmla v23.4s, v11.4s, v4.s[0]\n"
        "ext v11.16b, v8.16b, v9.16b, #8\n"
        "fmla v20.4s, v11.4s, v5.s[2]\n"
        "fmla v22.4s, v11.4s, v4.s[1]\n"
        "ext v11.16b, v9.16b, v10.16b, #8\n"
        "fmla v21.4s, v11.4s, v5.s[2]\n"
        "fmla v23.4s, v11.4s, v4.s[1]\n"
        "ext v11.16b, v8.16b, v9.16b, #12\n"
        "fmla v20.4s, v11.4s, v5.s[3]\n"
        "fmla v22.4s, v11.4s, v4.s[2]\n"
        "ext v11.16b, v9.16b, v10.16b, #12\n"
        "fmla v21.4s, v11.4s, v5.s[3]\n"
        "fmla v23.4s, v11.4s, v4.s[2]\n"
        "fmla v20.4s, v9.4s, v6.s[0]\n"
        "fmla v22.4s, v9.4s, v4.s[3]\n"
        "fmla v21.4s, v10.4s, v6.s[0]\n"
        "fmla v23.4s, v10.4s, v4.s[3]\n"
        "ld1 {v8.4s, v9.4s, v10.4s}, [%[p]], %[rs]\n"
        "fmla v22.4s, v8.4s, v5.s[0]\n"
        "fmla v23.4s, v9.4s, v5.s[0]\n"
        "ext v11.16b, v8.16b, v9.16b, #4\n"
        "fmla v22.4s, v11.4s, v5.s[1]\n"
        "ext v11.16b, v9.16b, v10.16b, #4\n"
        "fmla v23.4s, v11.4s, v5.s[1]\n"
        "ext v11.16b, v8.16b, v9.16b, #8\n"
        "fmla v22.4s, v11.4s, v5.s[2]\n"
        "ext v11.16b, v9.16b, v10.16b, #8\n"
        "fmla v23.4s, v11.4s, v5.s[2]\n"
        "ext v11.16b, v8.16b, v9.16b, #12\n"
        "fmla v22.4s, v11.4s, v5.s[3]\n"
        "ext v11.16b, v9.16b, v10.16b, #12\n"
        "fmla v23.4s, v11.4s, v5.s[3]\n"
        "fmla v22.4s, v9.4s, v6.s[0]\n"
        "fmla v23.4s, v10.4s, v6.s[0]\n"
        "cbz %w[kind], 3f\n"
        "tbnz %w[kind], #1, 2f\n"
        "fmaxnm v16.4s, v16.4s, v30.4s\n"
        "fmaxnm v17.4s, v17.4s, v30.4s\n"
        "fmaxnm v18.4s, v18.4s, v30.4s\n"
        "fmaxnm v19.4s, v19.4s, v30.4s\n"
        "fmaxnm v20.4s, v20.4s, v30.4s\n"
        "fmaxnm v21.4s, v21.4s, v30.4s\n"
        "fmaxnm v22.4s, v22.4s, v30.4s\n"
        "fmaxnm v23.4s, v23.4s, v30.4s\n"
        "b 3f\n"
        "2:\n"
        "fmax v16.4s, v16.4s, v30.4s\n"
        "fmin v16.4s, v16.4s, v31.4s\n"
        "fmax v17.4s, v17.4s, v30.4s\n"
        "fmin v17.4s, v17.4s, v31.4s\n"
        "fmax v18.4s, v18.4s, v30.4s\n"
        "fmin v18.4s, v18.4s, v31.4s\n"
        "fmax v19.4s, v19.4s, v30.4s\n"
        "fmin v19.4s, v19.4s, v31.4s\n"
        "fmax v20.4s, v20.4s, v30.4s\n"
        "fmin v20.4s, v20.4s, v31.4s\n"
        "fmax v21.4s, v21.4s, v30.4s\n"
        "fmin v21.4s, v21.4s, v31.4s\n"
        "fmax v22.4s, v22.4s, v30.4s\n"
        "fmin v22.4s, v22.4s, v31.4s\n"
        "fmax v23.4s, v23.4s, v30.4s\n"
        "fmin v23.4s, v23.4s, v31.4s\n"
        "3:\n"  // rows 3 to 0
        "st1 {v22.4s, v23.4s}, [%[o3]], #32\n"
        "st1 {v20.4s, v21.4s}, [%[o2]], #32\n"
        "st1 {v18.4s, v19.4s}, [%[o1]], #32\n"
        "st1 {v16.4s, v17.4s}, [%[o0]], #32\n"
        "subs %[cnt], %[cnt], #1\n"
        "b.ne 1b\n"
        "cbz %[bk], 5f\n"  // the moved-back block
        "add %[r], %[r], %[bk]\n"
        "add %[o0], %[o0], %[bk]\n"
        "add %[o1], %[o1], %[bk]\n"
        "add %[o2], %[o2], %[bk]\n"
        "add %[o3], %[o3], %[bk]\n"
        "mov %[bk], #0\n"
        "mov %[cnt], #1\n"
        "b 1b\n"
        "5:\n"
        "ldp %[p], %[cnt], [%[d], #56]\n"
        "add %[r], %[rrow], %[p]\n"
        "add %[o0], %[orow], %[cnt]\n"
        "subs %[nrows], %[nrows], #1\n"
        "b.ne 10b\n"
        : [r] "=&r"(r), [p] "=&r"(p), [o0] "=&r"(o0), [o1] "=&r"(o1), [o2] "=&r"(o2), [o3] "=&r"(o3),
          [rs] "=&r"(rs), [os] "=&r"(os), [cnt] "=&r"(cnt), [bk] "=&r"(bk), [nrows] "=&r"(nrows), [kind] "=&r"(kind),
          [rrow] "=&r"(rrow), [orow] "=&r"(orow)
        : [d] "r"(d)
        : "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v16", "v17",
          "v18", "v19", "v20", "v21", "v22", "v23", "v30", "v31");
}

// The 3x3 planes on AArch64 (stride 1: 7-row blocks, 2: 4-row) and the 5x5 stride-1 ones (4-row),
// one wrapper for all: every
// block row with all its rows in the plane in one call; the rest (a last block row of fewer
// rows, or rows narrower than a block) block by block into tmp, then its rows in the plane and
// its columns.
__attribute__((noinline)) void dw3_a64(const ConvGeom& g, const Layout& l, const float* P, const float* wk, float bias,
                                       float* out) {
    const int S = g.sw, R = rows_for(g.KW, S);
    void (*const fn)(const DwA64*) = g.KW == 5 ? dw5s1_a64 : (S == 1 ? dw3s1_a64 : dw3s2_a64);
    const int kind = g.act.kind == kActClip && g.act.lo <= g.act.hi ? kClipMaxMin : g.act.kind;
    const int OW = g.OW, OH = g.OH, full = OW / 8, nv = l.nv;
    const int64_t pw = l.pw;
    DwA64 d;
    d.rs = pw * (int64_t)sizeof(float);
    d.rs_r = R * S * d.rs;
    d.w = wk;
    d.bias = bias;
    d.lo = g.act.lo;
    d.hi = g.act.hi;
    d.kind = kind == kActRelu ? 1 : (kind == kClipMaxMin ? 2 : 0);
    int oh = 0;
    if (OW >= 8 && OH >= R) {
        d.r = P;
        d.o0 = out;
        d.os = OW * (int64_t)sizeof(float);
        d.os_r = R * d.os;
        d.nb = full;
        d.back = full < nv ? (int64_t)(OW - 8 - 8 * full) * (int64_t)sizeof(float) : 0;
        d.nrows = OH / R;
        fn(&d);
        oh = OH / R * R;
    }
    float tmp[7 * 8] __attribute__((aligned(16)));
    d.o0 = tmp;
    d.os = 8 * sizeof(float);
    d.nb = 1;
    d.back = 0;
    d.nrows = 1;
    for (; oh < OH; oh += R) {
        const int nr = OH - oh < R ? OH - oh : R, n = OW < 8 ? OW : 8;
        for (int c = 0; c < nv; ++c) {
            const int col = c < full || OW < 8 ? 8 * c : OW - 8;
            d.r = P + (int64_t)oh * S * pw + col * S;
            fn(&d);
            for (int j = 0; j < nr; ++j) {
                float* o = out + (int64_t)(oh + j) * OW + col;
                const float* t = tmp + 8 * j;
                if (n >= 4) {
                    vst1q_f32(o, vld1q_f32(t));
                    vst1q_f32(o + n - 4, vld1q_f32(t + n - 4));
                } else {
                    for (int i = 0; i < n; ++i) o[i] = t[i];
                }
            }
        }
    }
    // (HardSwish, Sigmoid, SiLU: by neon_dw_range over runs of planes)
}
#endif

#if !defined(__aarch64__)
// ARMv7 3x3 stride 1: nb blocks of 4 rows x 8 columns along one block row, in assembly. GCC's
// code for the template spent an address add per shifted load (VLD1 has no offset form) and
// spilled the bias to the stack: ~190 instructions a block. Here each padded input row is 2
// loads (columns 0-11 in q4-q6) and the shifted vectors 4 VEXTs, the weights in d0-d4 by
// lane, the bias in q7, the 8 accumulators in q8-q15 (row j: q(8 + 2j), q(9 + 2j)): ~125
// instructions a block, the same multiply-adds in the same order per accumulator (kernel
// row, then column), so the template's bits. Rows are stored 3 to 0 (o[] clamped to row 0
// past the plane's last row, as in plane()), each pointer moving on 8 floats a block.
struct DwV7 {
    const float* w;   // the 9 weights
    float bias, lo, hi;
    int32_t kind;     // 0 none, 1 Relu (compare + AND: act4's values), 2 Clip lo <= hi (MAX, MIN)
};
static_assert(offsetof(DwV7, bias) == 4 && offsetof(DwV7, lo) == 8 && offsetof(DwV7, kind) == 16,
              "dw3s1_v7's assembly reads these offsets");
__attribute__((noinline)) void dw3s1_v7(const float* r, int32_t rs, float* o0, float* o1, float* o2, float* o3,
                                        int32_t nb, const DwV7* prm) {
    const float* p;
    asm volatile(
        "ldr %[p], [%[prm]]\n"
        "vld1.32 {d0-d3}, [%[p]]!\n"  // taps 0-7 in d0-d3, 8 in d4[0]
        "vld1.32 {d4[0]}, [%[p]]\n"
        "add %[p], %[prm], #4\n"
        "vld1.32 {d14[], d15[]}, [%[p]]\n"
        "1:\n"
        "vmov q8, q7\n"
        "vmov q9, q7\n"
        "vmov q10, q7\n"
        "vmov q11, q7\n"
        "vmov q12, q7\n"
        "vmov q13, q7\n"
        "vmov q14, q7\n"
        "vmov q15, q7\n"
        "mov %[p], %[r]\n"
        "vld1.32 {d8-d11}, [%[p]]!\n"  // input row 0: columns 0-11 in q4-q6
        "vld1.32 {d12-d13}, [%[p]], %[rs]\n"
        "vmla.f32 q8, q4, d0[0]\n"
        "vmla.f32 q9, q5, d0[0]\n"
        "vext.32 q3, q4, q5, #1\n"
        "vmla.f32 q8, q3, d0[1]\n"
        "vext.32 q3, q5, q6, #1\n"
        "vmla.f32 q9, q3, d0[1]\n"
        "vext.32 q3, q4, q5, #2\n"
        "vmla.f32 q8, q3, d1[0]\n"
        "vext.32 q3, q5, q6, #2\n"
        "vmla.f32 q9, q3, d1[0]\n"
        "vld1.32 {d8-d11}, [%[p]]!\n"
        "vld1.32 {d12-d13}, [%[p]], %[rs]\n"
        "vmla.f32 q8, q4, d1[1]\n"
        "vmla.f32 q10, q4, d0[0]\n"
        "vmla.f32 q9, q5, d1[1]\n"
        "vmla.f32 q11, q5, d0[0]\n"
        "vext.32 q3, q4, q5, #1\n"
        "vmla.f32 q8, q3, d2[0]\n"
        "vmla.f32 q10, q3, d0[1]\n"
        "vext.32 q3, q5, q6, #1\n"
        "vmla.f32 q9, q3, d2[0]\n"
        "vmla.f32 q11, q3, d0[1]\n"
        "vext.32 q3, q4, q5, #2\n"
        "vmla.f32 q8, q3, d2[1]\n"
        "vmla.f32 q10, q3, d1[0]\n"
        "vext.32 q3, q5, q6, #2\n"
        "vmla.f32 q9, q3, d2[1]\n"
        "vmla.f32 q11, q3, d1[0]\n"
        "vld1.32 {d8-d11}, [%[p]]!\n"
        "vld1.32 {d12-d13}, [%[p]], %[rs]\n"
        "vmla.f32 q8, q4, d3[0]\n"
        "vmla.f32 q10, q4, d1[1]\n"
        "vmla.f32 q12, q4, d0[0]\n"
        "vmla.f32 q9, q5, d3[0]\n"
        "vmla.f32 q11, q5, d1[1]\n"
        "vmla.f32 q13, q5, d0[0]\n"
        "vext.32 q3, q4, q5, #1\n"
        "vmla.f32 q8, q3, d3[1]\n"
        "vmla.f32 q10, q3, d2[0]\n"
        "vmla.f32 q12, q3, d0[1]\n"
        "vext.32 q3, q5, q6, #1\n"
        "vmla.f32 q9, q3, d3[1]\n"
        "vmla.f32 q11, q3, d2[0]\n"
        "vmla.f32 q13, q3, d0[1]\n"
        "vext.32 q3, q4, q5, #2\n"
        "vmla.f32 q8, q3, d4[0]\n"
        "vmla.f32 q10, q3, d2[1]\n"
        "vmla.f32 q12, q3, d1[0]\n"
        "vext.32 q3, q5, q6, #2\n"
        "vmla.f32 q9, q3, d4[0]\n"
        "vmla.f32 q11, q3, d2[1]\n"
        "vmla.f32 q13, q3, d1[0]\n"
        "vld1.32 {d8-d11}, [%[p]]!\n"
        "vld1.32 {d12-d13}, [%[p]], %[rs]\n"
        "vmla.f32 q10, q4, d3[0]\n"
        "vmla.f32 q12, q4, d1[1]\n"
        "vmla.f32 q14, q4, d0[0]\n"
        "vmla.f32 q11, q5, d3[0]\n"
        "vmla.f32 q13, q5, d1[1]\n"
        "vmla.f32 q15, q5, d0[0]\n"
        "vext.32 q3, q4, q5, #1\n"
        "vmla.f32 q10, q3, d3[1]\n"
        "vmla.f32 q12, q3, d2[0]\n"
        "vmla.f32 q14, q3, d0[1]\n"
        "vext.32 q3, q5, q6, #1\n"
        "vmla.f32 q11, q3, d3[1]\n"
        "vmla.f32 q13, q3, d2[0]\n"
        "vmla.f32 q15, q3, d0[1]\n"
        "vext.32 q3, q4, q5, #2\n"
        "vmla.f32 q10, q3, d4[0]\n"
        "vmla.f32 q12, q3, d2[1]\n"
        "vmla.f32 q14, q3, d1[0]\n"
        "vext.32 q3, q5, q6, #2\n"
        "vmla.f32 q11, q3, d4[0]\n"
        "vmla.f32 q13, q3, d2[1]\n"
        "vmla.f32 q15, q3, d1[0]\n"
        "vld1.32 {d8-d11}, [%[p]]!\n"
        "vld1.32 {d12-d13}, [%[p]], %[rs]\n"
        "vmla.f32 q12, q4, d3[0]\n"
        "vmla.f32 q14, q4, d1[1]\n"
        "vmla.f32 q13, q5, d3[0]\n"
        "vmla.f32 q15, q5, d1[1]\n"
        "vext.32 q3, q4, q5, #1\n"
        "vmla.f32 q12, q3, d3[1]\n"
        "vmla.f32 q14, q3, d2[0]\n"
        "vext.32 q3, q5, q6, #1\n"
        "vmla.f32 q13, q3, d3[1]\n"
        "vmla.f32 q15, q3, d2[0]\n"
        "vext.32 q3, q4, q5, #2\n"
        "vmla.f32 q12, q3, d4[0]\n"
        "vmla.f32 q14, q3, d2[1]\n"
        "vext.32 q3, q5, q6, #2\n"
        "vmla.f32 q13, q3, d4[0]\n"
        "vmla.f32 q15, q3, d2[1]\n"
        "vld1.32 {d8-d11}, [%[p]]!\n"
        "vld1.32 {d12-d13}, [%[p]], %[rs]\n"
        "vmla.f32 q14, q4, d3[0]\n"
        "vmla.f32 q15, q5, d3[0]\n"
        "vext.32 q3, q4, q5, #1\n"
        "vmla.f32 q14, q3, d3[1]\n"
        "vext.32 q3, q5, q6, #1\n"
        "vmla.f32 q15, q3, d3[1]\n"
        "vext.32 q3, q4, q5, #2\n"
        "vmla.f32 q14, q3, d4[0]\n"
        "vext.32 q3, q5, q6, #2\n"
        "vmla.f32 q15, q3, d4[0]\n"
        "add %[r], %[r], #32\n"
        "ldr %[p], [%[prm], #16]\n"
        "cmp %[p], #1\n"
        "blt 3f\n"
        "bgt 2f\n"
        "vmov.i32 q3, #0\n"
        "vcgt.f32 q4, q8, q3\n"
        "vand q8, q8, q4\n"
        "vcgt.f32 q4, q9, q3\n"
        "vand q9, q9, q4\n"
        "vcgt.f32 q4, q10, q3\n"
        "vand q10, q10, q4\n"
        "vcgt.f32 q4, q11, q3\n"
        "vand q11, q11, q4\n"
        "vcgt.f32 q4, q12, q3\n"
        "vand q12, q12, q4\n"
        "vcgt.f32 q4, q13, q3\n"
        "vand q13, q13, q4\n"
        "vcgt.f32 q4, q14, q3\n"
        "vand q14, q14, q4\n"
        "vcgt.f32 q4, q15, q3\n"
        "vand q15, q15, q4\n"
        "b 3f\n"
        "2:\n"
        "add %[p], %[prm], #8\n"
        "vld1.32 {d6[], d7[]}, [%[p]]!\n"
        "vld1.32 {d8[], d9[]}, [%[p]]\n"
        "vmax.f32 q8, q8, q3\n"
        "vmin.f32 q8, q8, q4\n"
        "vmax.f32 q9, q9, q3\n"
        "vmin.f32 q9, q9, q4\n"
        "vmax.f32 q10, q10, q3\n"
        "vmin.f32 q10, q10, q4\n"
        "vmax.f32 q11, q11, q3\n"
        "vmin.f32 q11, q11, q4\n"
        "vmax.f32 q12, q12, q3\n"
        "vmin.f32 q12, q12, q4\n"
        "vmax.f32 q13, q13, q3\n"
        "vmin.f32 q13, q13, q4\n"
        "vmax.f32 q14, q14, q3\n"
        "vmin.f32 q14, q14, q4\n"
        "vmax.f32 q15, q15, q3\n"
        "vmin.f32 q15, q15, q4\n"
        "3:\n"
        "vst1.32 {d28-d31}, [%[o3]]!\n"
        "vst1.32 {d24-d27}, [%[o2]]!\n"
        "vst1.32 {d20-d23}, [%[o1]]!\n"
        "vst1.32 {d16-d19}, [%[o0]]!\n"
        "subs %[nb], %[nb], #1\n"
        "bne 1b\n"
        : [r] "+r"(r), [o0] "+r"(o0), [o1] "+r"(o1), [o2] "+r"(o2), [o3] "+r"(o3), [nb] "+r"(nb), [p] "=&r"(p)
        : [rs] "r"(rs), [prm] "r"(prm)
        : "cc", "memory", "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "q12", "q13",
          "q14", "q15");
}
// ARMv7 3x3 stride 2, as dw3s1_v7 (its record; rs = bytes per padded row - 64): blocks of 4
// rows x 8 columns, each padded input row 2 VLD2s (columns 0-15, even and odd apart) + column
// 16 and 2 VEXTs (the template: an address add per load), the bias reloaded per block (no Q
// register left for it), the same VMLAs in the same order per accumulator.
__attribute__((noinline)) void dw3s2_v7(const float* r, int32_t rs, float* o0, float* o1, float* o2, float* o3,
                                        int32_t nb, const DwV7* prm) {
    const float* p;
    asm volatile(
        "ldr %[p], [%[prm]]\n"
        "vld1.32 {d0-d3}, [%[p]]!\n"  // taps 0-7 in d0-d3, 8 in d4[0]
        "vld1.32 {d4[0]}, [%[p]]\n"
        "1:\n"
        "add %[p], %[prm], #4\n"
        "vld1.32 {d16[], d17[]}, [%[p]]\n"  // the bias
        "vmov q9, q8\n"
        "vmov q10, q8\n"
        "vmov q11, q8\n"
        "vmov q12, q8\n"
        "vmov q13, q8\n"
        "vmov q14, q8\n"
        "vmov q15, q8\n"
        "mov %[p], %[r]\n"
        "vld2.32 {d8-d11}, [%[p]]!\n"  // padded row 0: columns 0-7 (even in q4, odd in q5)
        "vld2.32 {d12-d15}, [%[p]]!\n"  // columns 8-15 (q6, q7)
        "vld1.32 {d6[0]}, [%[p]], %[rs]\n"  // column 16, then on to the next row
        "vmla.f32 q8, q4, d0[0]\n"
        "vmla.f32 q9, q6, d0[0]\n"
        "vmla.f32 q8, q5, d0[1]\n"
        "vmla.f32 q9, q7, d0[1]\n"
        "vext.32 q3, q6, q3, #1\n"
        "vmla.f32 q9, q3, d1[0]\n"
        "vext.32 q3, q4, q6, #1\n"
        "vmla.f32 q8, q3, d1[0]\n"
        "vld2.32 {d8-d11}, [%[p]]!\n"
        "vld2.32 {d12-d15}, [%[p]]!\n"
        "vld1.32 {d6[0]}, [%[p]], %[rs]\n"
        "vmla.f32 q8, q4, d1[1]\n"
        "vmla.f32 q9, q6, d1[1]\n"
        "vmla.f32 q8, q5, d2[0]\n"
        "vmla.f32 q9, q7, d2[0]\n"
        "vext.32 q3, q6, q3, #1\n"
        "vmla.f32 q9, q3, d2[1]\n"
        "vext.32 q3, q4, q6, #1\n"
        "vmla.f32 q8, q3, d2[1]\n"
        "vld2.32 {d8-d11}, [%[p]]!\n"
        "vld2.32 {d12-d15}, [%[p]]!\n"
        "vld1.32 {d6[0]}, [%[p]], %[rs]\n"
        "vmla.f32 q8, q4, d3[0]\n"
        "vmla.f32 q10, q4, d0[0]\n"
        "vmla.f32 q9, q6, d3[0]\n"
        "vmla.f32 q11, q6, d0[0]\n"
        "vmla.f32 q8, q5, d3[1]\n"
        "vmla.f32 q10, q5, d0[1]\n"
        "vmla.f32 q9, q7, d3[1]\n"
        "vmla.f32 q11, q7, d0[1]\n"
        "vext.32 q3, q6, q3, #1\n"
        "vmla.f32 q9, q3, d4[0]\n"
        "vmla.f32 q11, q3, d1[0]\n"
        "vext.32 q3, q4, q6, #1\n"
        "vmla.f32 q8, q3, d4[0]\n"
        "vmla.f32 q10, q3, d1[0]\n"
        "vld2.32 {d8-d11}, [%[p]]!\n"
        "vld2.32 {d12-d15}, [%[p]]!\n"
        "vld1.32 {d6[0]}, [%[p]], %[rs]\n"
        "vmla.f32 q10, q4, d1[1]\n"
        "vmla.f32 q11, q6, d1[1]\n"
        "vmla.f32 q10, q5, d2[0]\n"
        "vmla.f32 q11, q7, d2[0]\n"
        "vext.32 q3, q6, q3, #1\n"
        "vmla.f32 q11, q3, d2[1]\n"
        "vext.32 q3, q4, q6, #1\n"
        "vmla.f32 q10, q3, d2[1]\n"
        "vld2.32 {d8-d11}, [%[p]]!\n"
        "vld2.32 {d12-d15}, [%[p]]!\n"
        "vld1.32 {d6[0]}, [%[p]], %[rs]\n"
        "vmla.f32 q10, q4, d3[0]\n"
        "vmla.f32 q12, q4, d0[0]\n"
        "vmla.f32 q11, q6, d3[0]\n"
        "vmla.f32 q13, q6, d0[0]\n"
        "vmla.f32 q10, q5, d3[1]\n"
        "vmla.f32 q12, q5, d0[1]\n"
        "vmla.f32 q11, q7, d3[1]\n"
        "vmla.f32 q13, q7, d0[1]\n"
        "vext.32 q3, q6, q3, #1\n"
        "vmla.f32 q11, q3, d4[0]\n"
        "vmla.f32 q13, q3, d1[0]\n"
        "vext.32 q3, q4, q6, #1\n"
        "vmla.f32 q10, q3, d4[0]\n"
        "vmla.f32 q12, q3, d1[0]\n"
        "vld2.32 {d8-d11}, [%[p]]!\n"
        "vld2.32 {d12-d15}, [%[p]]!\n"
        "vld1.32 {d6[0]}, [%[p]], %[rs]\n"
        "vmla.f32 q12, q4, d1[1]\n"
        "vmla.f32 q13, q6, d1[1]\n"
        "vmla.f32 q12, q5, d2[0]\n"
        "vmla.f32 q13, q7, d2[0]\n"
        "vext.32 q3, q6, q3, #1\n"
        "vmla.f32 q13, q3, d2[1]\n"
        "vext.32 q3, q4, q6, #1\n"
        "vmla.f32 q12, q3, d2[1]\n"
        "vld2.32 {d8-d11}, [%[p]]!\n"
        "vld2.32 {d12-d15}, [%[p]]!\n"
        "vld1.32 {d6[0]}, [%[p]], %[rs]\n"
        "vmla.f32 q12, q4, d3[0]\n"
        "vmla.f32 q14, q4, d0[0]\n"
        "vmla.f32 q13, q6, d3[0]\n"
        "vmla.f32 q15, q6, d0[0]\n"
        "vmla.f32 q12, q5, d3[1]\n"
        "vmla.f32 q14, q5, d0[1]\n"
        "vmla.f32 q13, q7, d3[1]\n"
        "vmla.f32 q15, q7, d0[1]\n"
        "vext.32 q3, q6, q3, #1\n"
        "vmla.f32 q13, q3, d4[0]\n"
        "vmla.f32 q15, q3, d1[0]\n"
        "vext.32 q3, q4, q6, #1\n"
        "vmla.f32 q12, q3, d4[0]\n"
        "vmla.f32 q14, q3, d1[0]\n"
        "vld2.32 {d8-d11}, [%[p]]!\n"
        "vld2.32 {d12-d15}, [%[p]]!\n"
        "vld1.32 {d6[0]}, [%[p]], %[rs]\n"
        "vmla.f32 q14, q4, d1[1]\n"
        "vmla.f32 q15, q6, d1[1]\n"
        "vmla.f32 q14, q5, d2[0]\n"
        "vmla.f32 q15, q7, d2[0]\n"
        "vext.32 q3, q6, q3, #1\n"
        "vmla.f32 q15, q3, d2[1]\n"
        "vext.32 q3, q4, q6, #1\n"
        "vmla.f32 q14, q3, d2[1]\n"
        "vld2.32 {d8-d11}, [%[p]]!\n"
        "vld2.32 {d12-d15}, [%[p]]!\n"
        "vld1.32 {d6[0]}, [%[p]], %[rs]\n"
        "vmla.f32 q14, q4, d3[0]\n"
        "vmla.f32 q15, q6, d3[0]\n"
        "vmla.f32 q14, q5, d3[1]\n"
        "vmla.f32 q15, q7, d3[1]\n"
        "vext.32 q3, q6, q3, #1\n"
        "vmla.f32 q15, q3, d4[0]\n"
        "vext.32 q3, q4, q6, #1\n"
        "vmla.f32 q14, q3, d4[0]\n"
        "add %[r], %[r], #64\n"
        "ldr %[p], [%[prm], #16]\n"
        "cmp %[p], #1\n"
        "blt 3f\n"
        "bgt 2f\n"
        "vmov.i32 q3, #0\n"
        "vcgt.f32 q4, q8, q3\n"
        "vand q8, q8, q4\n"
        "vcgt.f32 q4, q9, q3\n"
        "vand q9, q9, q4\n"
        "vcgt.f32 q4, q10, q3\n"
        "vand q10, q10, q4\n"
        "vcgt.f32 q4, q11, q3\n"
        "vand q11, q11, q4\n"
        "vcgt.f32 q4, q12, q3\n"
        "vand q12, q12, q4\n"
        "vcgt.f32 q4, q13, q3\n"
        "vand q13, q13, q4\n"
        "vcgt.f32 q4, q14, q3\n"
        "vand q14, q14, q4\n"
        "vcgt.f32 q4, q15, q3\n"
        "vand q15, q15, q4\n"
        "b 3f\n"
        "2:\n"
        "add %[p], %[prm], #8\n"
        "vld1.32 {d6[], d7[]}, [%[p]]!\n"
        "vld1.32 {d8[], d9[]}, [%[p]]\n"
        "vmax.f32 q8, q8, q3\n"
        "vmin.f32 q8, q8, q4\n"
        "vmax.f32 q9, q9, q3\n"
        "vmin.f32 q9, q9, q4\n"
        "vmax.f32 q10, q10, q3\n"
        "vmin.f32 q10, q10, q4\n"
        "vmax.f32 q11, q11, q3\n"
        "vmin.f32 q11, q11, q4\n"
        "vmax.f32 q12, q12, q3\n"
        "vmin.f32 q12, q12, q4\n"
        "vmax.f32 q13, q13, q3\n"
        "vmin.f32 q13, q13, q4\n"
        "vmax.f32 q14, q14, q3\n"
        "vmin.f32 q14, q14, q4\n"
        "vmax.f32 q15, q15, q3\n"
        "vmin.f32 q15, q15, q4\n"
        "3:\n"
        "vst1.32 {d28-d31}, [%[o3]]!\n"
        "vst1.32 {d24-d27}, [%[o2]]!\n"
        "vst1.32 {d20-d23}, [%[o1]]!\n"
        "vst1.32 {d16-d19}, [%[o0]]!\n"
        "subs %[nb], %[nb], #1\n"
        "bne 1b\n"
        : [r] "+r"(r), [o0] "+r"(o0), [o1] "+r"(o1), [o2] "+r"(o2), [o3] "+r"(o3), [nb] "+r"(nb), [p] "=&r"(p)
        : [rs] "r"(rs), [prm] "r"(prm)
        : "cc", "memory", "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "q12", "q13",
          "q14", "q15");
}

// ARMv7 5x5 stride 1 (EfficientNet's, MobileNetV3's): nb blocks of 2 rows x 8 columns, as
// dw3s1_v7: each padded input row 2 loads (columns 0-11 in q12-q14) and 6 VEXTs, the 25
// weights in d0-d12 by lane (the template spilled some to the stack), the bias in q7, the
// accumulators in q8-q11 (row j: q(8 + 2j), q(9 + 2j)); the same multiply-adds in the
// same order per accumulator.
__attribute__((noinline)) void dw5s1_v7(const float* r, int32_t rs, float* o0, float* o1, int32_t nb,
                                        const DwV7* prm) {
    const float* p;
    asm volatile(
        "ldr %[p], [%[prm]]\n"
        "vld1.32 {d0-d3}, [%[p]]!\n"  // taps 0-23 in d0-d11, 24 in d12[0]
        "vld1.32 {d4-d7}, [%[p]]!\n"
        "vld1.32 {d8-d11}, [%[p]]!\n"
        "vld1.32 {d12[0]}, [%[p]]\n"
        "add %[p], %[prm], #4\n"
        "vld1.32 {d14[], d15[]}, [%[p]]\n"
        "1:\n"
        "vmov q8, q7\n"
        "vmov q9, q7\n"
        "vmov q10, q7\n"
        "vmov q11, q7\n"
        "mov %[p], %[r]\n"
        "vld1.32 {d24-d27}, [%[p]]!\n"  // input row 0: columns 0-11 in q12-q14
        "vld1.32 {d28-d29}, [%[p]], %[rs]\n"
        "vmla.f32 q8, q12, d0[0]\n"
        "vmla.f32 q9, q13, d0[0]\n"
        "vext.32 q15, q12, q13, #1\n"
        "vmla.f32 q8, q15, d0[1]\n"
        "vext.32 q15, q13, q14, #1\n"
        "vmla.f32 q9, q15, d0[1]\n"
        "vext.32 q15, q12, q13, #2\n"
        "vmla.f32 q8, q15, d1[0]\n"
        "vext.32 q15, q13, q14, #2\n"
        "vmla.f32 q9, q15, d1[0]\n"
        "vext.32 q15, q12, q13, #3\n"
        "vmla.f32 q8, q15, d1[1]\n"
        "vext.32 q15, q13, q14, #3\n"
        "vmla.f32 q9, q15, d1[1]\n"
        "vmla.f32 q8, q13, d2[0]\n"
        "vmla.f32 q9, q14, d2[0]\n"
        "vld1.32 {d24-d27}, [%[p]]!\n"
        "vld1.32 {d28-d29}, [%[p]], %[rs]\n"
        "vmla.f32 q8, q12, d2[1]\n"
        "vmla.f32 q10, q12, d0[0]\n"
        "vmla.f32 q9, q13, d2[1]\n"
        "vmla.f32 q11, q13, d0[0]\n"
        "vext.32 q15, q12, q13, #1\n"
        "vmla.f32 q8, q15, d3[0]\n"
        "vmla.f32 q10, q15, d0[1]\n"
        "vext.32 q15, q13, q14, #1\n"
        "vmla.f32 q9, q15, d3[0]\n"
        "vmla.f32 q11, q15, d0[1]\n"
        "vext.32 q15, q12, q13, #2\n"
        "vmla.f32 q8, q15, d3[1]\n"
        "vmla.f32 q10, q15, d1[0]\n"
        "vext.32 q15, q13, q14, #2\n"
        "vmla.f32 q9, q15, d3[1]\n"
        "vmla.f32 q11, q15, d1[0]\n"
        "vext.32 q15, q12, q13, #3\n"
        "vmla.f32 q8, q15, d4[0]\n"
        "vmla.f32 q10, q15, d1[1]\n"
        "vext.32 q15, q13, q14, #3\n"
        "vmla.f32 q9, q15, d4[0]\n"
        "vmla.f32 q11, q15, d1[1]\n"
        "vmla.f32 q8, q13, d4[1]\n"
        "vmla.f32 q10, q13, d2[0]\n"
        "vmla.f32 q9, q14, d4[1]\n"
        "vmla.f32 q11, q14, d2[0]\n"
        "vld1.32 {d24-d27}, [%[p]]!\n"
        "vld1.32 {d28-d29}, [%[p]], %[rs]\n"
        "vmla.f32 q8, q12, d5[0]\n"
        "vmla.f32 q10, q12, d2[1]\n"
        "vmla.f32 q9, q13, d5[0]\n"
        "vmla.f32 q11, q13, d2[1]\n"
        "vext.32 q15, q12, q13, #1\n"
        "vmla.f32 q8, q15, d5[1]\n"
        "vmla.f32 q10, q15, d3[0]\n"
        "vext.32 q15, q13, q14, #1\n"
        "vmla.f32 q9, q15, d5[1]\n"
        "vmla.f32 q11, q15, d3[0]\n"
        "vext.32 q15, q12, q13, #2\n"
        "vmla.f32 q8, q15, d6[0]\n"
        "vmla.f32 q10, q15, d3[1]\n"
        "vext.32 q15, q13, q14, #2\n"
        "vmla.f32 q9, q15, d6[0]\n"
        "vmla.f32 q11, q15, d3[1]\n"
        "vext.32 q15, q12, q13, #3\n"
        "vmla.f32 q8, q15, d6[1]\n"
        "vmla.f32 q10, q15, d4[0]\n"
        "vext.32 q15, q13, q14, #3\n"
        "vmla.f32 q9, q15, d6[1]\n"
        "vmla.f32 q11, q15, d4[0]\n"
        "vmla.f32 q8, q13, d7[0]\n"
        "vmla.f32 q10, q13, d4[1]\n"
        "vmla.f32 q9, q14, d7[0]\n"
        "vmla.f32 q11, q14, d4[1]\n"
        "vld1.32 {d24-d27}, [%[p]]!\n"
        "vld1.32 {d28-d29}, [%[p]], %[rs]\n"
        "vmla.f32 q8, q12, d7[1]\n"
        "vmla.f32 q10, q12, d5[0]\n"
        "vmla.f32 q9, q13, d7[1]\n"
        "vmla.f32 q11, q13, d5[0]\n"
        "vext.32 q15, q12, q13, #1\n"
        "vmla.f32 q8, q15, d8[0]\n"
        "vmla.f32 q10, q15, d5[1]\n"
        "vext.32 q15, q13, q14, #1\n"
        "vmla.f32 q9, q15, d8[0]\n"
        "vmla.f32 q11, q15, d5[1]\n"
        "vext.32 q15, q12, q13, #2\n"
        "vmla.f32 q8, q15, d8[1]\n"
        "vmla.f32 q10, q15, d6[0]\n"
        "vext.32 q15, q13, q14, #2\n"
        "vmla.f32 q9, q15, d8[1]\n"
        "vmla.f32 q11, q15, d6[0]\n"
        "vext.32 q15, q12, q13, #3\n"
        "vmla.f32 q8, q15, d9[0]\n"
        "vmla.f32 q10, q15, d6[1]\n"
        "vext.32 q15, q13, q14, #3\n"
        "vmla.f32 q9, q15, d9[0]\n"
        "vmla.f32 q11, q15, d6[1]\n"
        "vmla.f32 q8, q13, d9[1]\n"
        "vmla.f32 q10, q13, d7[0]\n"
        "vmla.f32 q9, q14, d9[1]\n"
        "vmla.f32 q11, q14, d7[0]\n"
        "vld1.32 {d24-d27}, [%[p]]!\n"
        "vld1.32 {d28-d29}, [%[p]], %[rs]\n"
        "vmla.f32 q8, q12, d10[0]\n"
        "vmla.f32 q10, q12, d7[1]\n"
        "vmla.f32 q9, q13, d10[0]\n"
        "vmla.f32 q11, q13, d7[1]\n"
        "vext.32 q15, q12, q13, #1\n"
        "vmla.f32 q8, q15, d10[1]\n"
        "vmla.f32 q10, q15, d8[0]\n"
        "vext.32 q15, q13, q14, #1\n"
        "vmla.f32 q9, q15, d10[1]\n"
        "vmla.f32 q11, q15, d8[0]\n"
        "vext.32 q15, q12, q13, #2\n"
        "vmla.f32 q8, q15, d11[0]\n"
        "vmla.f32 q10, q15, d8[1]\n"
        "vext.32 q15, q13, q14, #2\n"
        "vmla.f32 q9, q15, d11[0]\n"
        "vmla.f32 q11, q15, d8[1]\n"
        "vext.32 q15, q12, q13, #3\n"
        "vmla.f32 q8, q15, d11[1]\n"
        "vmla.f32 q10, q15, d9[0]\n"
        "vext.32 q15, q13, q14, #3\n"
        "vmla.f32 q9, q15, d11[1]\n"
        "vmla.f32 q11, q15, d9[0]\n"
        "vmla.f32 q8, q13, d12[0]\n"
        "vmla.f32 q10, q13, d9[1]\n"
        "vmla.f32 q9, q14, d12[0]\n"
        "vmla.f32 q11, q14, d9[1]\n"
        "vld1.32 {d24-d27}, [%[p]]!\n"
        "vld1.32 {d28-d29}, [%[p]], %[rs]\n"
        "vmla.f32 q10, q12, d10[0]\n"
        "vmla.f32 q11, q13, d10[0]\n"
        "vext.32 q15, q12, q13, #1\n"
        "vmla.f32 q10, q15, d10[1]\n"
        "vext.32 q15, q13, q14, #1\n"
        "vmla.f32 q11, q15, d10[1]\n"
        "vext.32 q15, q12, q13, #2\n"
        "vmla.f32 q10, q15, d11[0]\n"
        "vext.32 q15, q13, q14, #2\n"
        "vmla.f32 q11, q15, d11[0]\n"
        "vext.32 q15, q12, q13, #3\n"
        "vmla.f32 q10, q15, d11[1]\n"
        "vext.32 q15, q13, q14, #3\n"
        "vmla.f32 q11, q15, d11[1]\n"
        "vmla.f32 q10, q13, d12[0]\n"
        "vmla.f32 q11, q14, d12[0]\n"
        "add %[r], %[r], #32\n"
        "ldr %[p], [%[prm], #16]\n"
        "cmp %[p], #1\n"
        "blt 3f\n"
        "bgt 2f\n"
        "vmov.i32 q12, #0\n"
        "vcgt.f32 q13, q8, q12\n"
        "vand q8, q8, q13\n"
        "vcgt.f32 q13, q9, q12\n"
        "vand q9, q9, q13\n"
        "vcgt.f32 q13, q10, q12\n"
        "vand q10, q10, q13\n"
        "vcgt.f32 q13, q11, q12\n"
        "vand q11, q11, q13\n"
        "b 3f\n"
        "2:\n"
        "add %[p], %[prm], #8\n"
        "vld1.32 {d24[], d25[]}, [%[p]]!\n"
        "vld1.32 {d26[], d27[]}, [%[p]]\n"
        "vmax.f32 q8, q8, q12\n"
        "vmin.f32 q8, q8, q13\n"
        "vmax.f32 q9, q9, q12\n"
        "vmin.f32 q9, q9, q13\n"
        "vmax.f32 q10, q10, q12\n"
        "vmin.f32 q10, q10, q13\n"
        "vmax.f32 q11, q11, q12\n"
        "vmin.f32 q11, q11, q13\n"
        "3:\n"
        "vst1.32 {d20-d23}, [%[o1]]!\n"
        "vst1.32 {d16-d19}, [%[o0]]!\n"
        "subs %[nb], %[nb], #1\n"
        "bne 1b\n"
        : [r] "+r"(r), [o0] "+r"(o0), [o1] "+r"(o1), [nb] "+r"(nb), [p] "=&r"(p)
        : [rs] "r"(rs), [prm] "r"(prm)
        : "cc", "memory", "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "q12", "q13",
          "q14", "q15");
}
#endif

#if defined(__aarch64__)
#define SDK_DW_PLANE_ATTR
#else
// ARMv7: one function per geometry, as before neon_dw_range ran the activation itself (GCC then
// inlined all four into it; tests/test_neon_codegen.py reads each kernel's compares)
#define SDK_DW_PLANE_ATTR __attribute__((noinline))
#endif
template <int K, int S>
SDK_DW_PLANE_ATTR void plane(const ConvGeom& g, const Layout& l, const float* P, const float* wk, float bias,
                             float* out) {
    constexpr int R = rows_for(K, S);
    float32x2_t w[(K * K + 1) / 2];
    for (int i = 0; i < K * K / 2; ++i) w[i] = vld1_f32(wk + 2 * i);
    w[K * K / 2] = vdup_n_f32(wk[K * K - 1]);
    const float32x4_t vb = vdupq_n_f32(bias), lo = vdupq_n_f32(g.act.lo), hi = vdupq_n_f32(g.act.hi);
    const int kind = g.act.kind == kActClip && g.act.lo <= g.act.hi ? kClipMaxMin : g.act.kind;
    const int OW = g.OW, OH = g.OH, full = OW / 8, nv = l.nv;
    const int64_t pw = l.pw;
#if defined(__aarch64__)
    if constexpr (K == 3 || S == 1) {  // (the assembly, dw3_a64)
        dw3_a64(g, l, P, wk, bias, out);
        return;
    }
#endif
#if !defined(__aarch64__)
    if constexpr (K == 3 && S == 1) {
        {
            const DwV7 prm = {wk, bias, g.act.lo, g.act.hi, kind == kActRelu ? 1 : (kind == kClipMaxMin ? 2 : 0)};
            const int32_t rs = (int32_t)(pw * (int64_t)sizeof(float)) - 32;
            float tmp[R * 8] __attribute__((aligned(16)));  // rows narrower than a block
            for (int oh = 0; oh < OH; oh += R) {
                const float* const r0 = P + (int64_t)oh * pw;
                float* o[R];
                SDK_UNROLL
                for (int j = 0; j < R; ++j) o[j] = out + (int64_t)(oh + j < OH ? oh + j : oh) * OW;
                if (OW < 8) {  // the block into tmp, then the plane's rows and columns of it
                    dw3s1_v7(r0, rs, tmp, tmp + 8, tmp + 16, tmp + 24, 1, &prm);
                    const int nr = OH - oh < R ? OH - oh : R;
                    for (int j = 0; j < nr; ++j) {
                        if (OW >= 4) {
                            vst1q_f32(o[j], vld1q_f32(tmp + 8 * j));
                            vst1q_f32(o[j] + OW - 4, vld1q_f32(tmp + 8 * j + OW - 4));
                        } else {
                            for (int i = 0; i < OW; ++i) o[j][i] = tmp[8 * j + i];
                        }
                    }
                    continue;
                }
                dw3s1_v7(r0, rs, o[0], o[1], o[2], o[3], full, &prm);
                if (full < nv)  // the last block moved back to end at the row's end
                    dw3s1_v7(r0 + (OW - 8), rs, o[0] + (OW - 8), o[1] + (OW - 8), o[2] + (OW - 8), o[3] + (OW - 8), 1,
                             &prm);
            }
            return;
        }
    }
    if constexpr (K == 3 && S == 2) {
        if (OW >= 8) {
            const DwV7 prm = {wk, bias, g.act.lo, g.act.hi, kind == kActRelu ? 1 : (kind == kClipMaxMin ? 2 : 0)};
            const int32_t rs = (int32_t)(pw * (int64_t)sizeof(float)) - 64;
            for (int oh = 0; oh < OH; oh += R) {
                const float* const r0 = P + (int64_t)oh * 2 * pw;
                float* o[R];
                SDK_UNROLL
                for (int j = 0; j < R; ++j) o[j] = out + (int64_t)(oh + j < OH ? oh + j : oh) * OW;
                dw3s2_v7(r0, rs, o[0], o[1], o[2], o[3], full, &prm);
                if (full < nv)  // the last block moved back to end at the row's end
                    dw3s2_v7(r0 + 2 * (OW - 8), rs, o[0] + (OW - 8), o[1] + (OW - 8), o[2] + (OW - 8),
                             o[3] + (OW - 8), 1, &prm);
            }
            return;
        }
    }
    if constexpr (K == 5 && S == 1) {
        const DwV7 prm = {wk, bias, g.act.lo, g.act.hi, kind == kActRelu ? 1 : (kind == kClipMaxMin ? 2 : 0)};
        const int32_t rs = (int32_t)(pw * (int64_t)sizeof(float)) - 32;
        if (OW < 8) {  // (MobileNetV3's 7x7 planes) each block into tmp, then its rows in the plane
            float tmp[2 * 8] __attribute__((aligned(16)));
            for (int oh = 0; oh < OH; oh += R) {
                dw5s1_v7(P + (int64_t)oh * pw, rs, tmp, tmp + 8, 1, &prm);
                const int nr = OH - oh < R ? OH - oh : R;
                for (int j = 0; j < nr; ++j) {
                    float* const o = out + (int64_t)(oh + j) * OW;
                    if (OW >= 4) {
                        vst1q_f32(o, vld1q_f32(tmp + 8 * j));
                        vst1q_f32(o + OW - 4, vld1q_f32(tmp + 8 * j + OW - 4));
                    } else {
                        for (int i = 0; i < OW; ++i) o[i] = tmp[8 * j + i];
                    }
                }
            }
            return;
        }
        for (int oh = 0; oh < OH; oh += R) {
            const float* const r0 = P + (int64_t)oh * pw;
            float* const o0 = out + (int64_t)oh * OW;
            float* const o1 = oh + 1 < OH ? o0 + OW : o0;  // (past the last row: over row 0, stored after it)
            dw5s1_v7(r0, rs, o0, o1, full, &prm);
            if (full < nv) dw5s1_v7(r0 + (OW - 8), rs, o0 + (OW - 8), o1 + (OW - 8), 1, &prm);
        }
        return;
    }
#endif
    for (int oh = 0; oh < OH; oh += R) {
        const float* const r0 = P + (int64_t)oh * S * pw;
        // rows past the plane's last are stored first, over row 0 of the block, which then
        // overwrites them (the padded plane has the rows they read)
        float* o[R];
        SDK_UNROLL
        for (int j = 0; j < R; ++j) o[j] = out + (int64_t)(oh + j < OH ? oh + j : oh) * OW;
        for (int c = 0; c < nv; ++c) {
            // a row of 8 or more outputs ends with a whole block moved back to end at the
            // row's end (it recomputes a few outputs, and stores them again, the same bits)
            const int col = c < full || OW < 8 ? 8 * c : OW - 8;
            const float* r = r0 + (int64_t)col * S;
            Acc<R> a;
            SDK_UNROLL
            for (int j = 0; j < R; ++j) a.v[j][0] = a.v[j][1] = vb;
            rows<K, S, R>(a, r, pw, w);
            SDK_UNROLL
            for (int j = 0; j < R; ++j) {
                a.v[j][0] = act4(a.v[j][0], kind, lo, hi);
                a.v[j][1] = act4(a.v[j][1], kind, lo, hi);
            }
            if (OW >= 8) {
                SDK_UNROLL
                for (int j = R - 1; j >= 0; --j) {
                    vst1q_f32(o[j] + col, a.v[j][0]);
                    vst1q_f32(o[j] + col + 4, a.v[j][1]);
                }
            } else {
                SDK_UNROLL
                for (int j = R - 1; j >= 0; --j) store_n(o[j], OW, a.v[j][0], a.v[j][1]);
            }
        }
    }
    // (HardSwish, Sigmoid, SiLU: by neon_dw_range over runs of planes, after the stores)
}

}  // namespace

bool neon_dw_fits(const ConvGeom& g) {
    // (a Clip with lo > hi or a NaN bound: the portable loops)
    return g.C == g.group && g.KH == g.KW && (g.KH == 3 || g.KH == 5) && g.dh == 1 && g.dw == 1 && g.sh == g.sw &&
           (g.sh == 1 || g.sh == 2) && (g.act.kind != kActClip || g.act.lo <= g.act.hi);
}

int64_t neon_dw_scratch_floats(const ConvGeom& g) {
    const Layout l = layout(g);
    return (int64_t)l.pw * l.ph + 4;
}

void neon_dw_range(const ConvGeom& g, const float* x, const float* w, const float* b, float* y, int64_t begin,
                      int64_t end, float* scratch) {
    const Layout l = layout(g);
    const int mult = g.OC / g.C;  // depth multiplier
    int64_t filled = -1;          // the input plane in scratch (depth multiplier > 1: reused)
    memset(scratch, 0, (size_t)l.pw * l.ph * sizeof(float));  // the pads (fill writes only the input)
    // (batch, channel) stepped along, not divided out of t per plane: a 64-bit division is a
    // libgcc call on ARMv7 (~100 instructions, 1.6 M of MobileNetV2's depthwise work)
    int n = (int)(begin / g.OC), oc = (int)(begin % g.OC);
    // HardSwish, Sigmoid, SiLU: the planes stored without it, then one act_span_f32 call per
    // run of planes of >= 2K floats (a call's set-up is ~60 instructions: a 7x7 plane's own
    // SiLU ~400), not one per plane. The same values on the same stored results.
    const int64_t ps = (int64_t)g.OH * g.OW;
    const bool late = g.act.kind != kActNone && g.act.kind != kActRelu && g.act.kind != kActClip;
    ConvGeom gp = g;
    if (late) gp.act.kind = kActNone;
    int64_t from = begin;  // the first plane not yet activated
    for (int64_t t = begin; t < end; ++t, oc = oc + 1 == g.OC ? (++n, 0) : oc + 1) {
        const int64_t in_plane = (int64_t)n * g.C + oc / mult;
        if (in_plane != filled) fill(g, l, x + in_plane * g.H * g.W, scratch);
        filled = in_plane;
        float* out = y + t * g.OH * g.OW;
        const float bias = b ? b[oc] : 0.0f;
        const float* wk = w + (int64_t)oc * g.KH * g.KW;
        if (g.KW == 3) {
            if (g.sw == 1)
                plane<3, 1>(gp, l, scratch, wk, bias, out);
            else
                plane<3, 2>(gp, l, scratch, wk, bias, out);
        } else if (g.sw == 1) {
            plane<5, 1>(gp, l, scratch, wk, bias, out);
        } else {
            plane<5, 2>(gp, l, scratch, wk, bias, out);
        }
        if (late && ((t + 1 - from) * ps >= 2048 || t + 1 == end)) {
            act_span_f32(y + from * ps, (t + 1 - from) * ps, g.act);
            from = t + 1;
        }
    }
}

}  // namespace ref
}  // namespace sdk
#endif
