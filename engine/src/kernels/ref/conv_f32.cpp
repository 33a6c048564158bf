// Reference fp32 convolution.
//
// Depthwise (one input channel per group): direct loops, one output row at a time, the
// innermost loop running over contiguous output columns.
// Everything else: per (batch, group, tile of output pixels), im2col the tile straight
// into GEMM panels, then the register-tiled GEMM of sgemm_f32.h with bias and fused
// activation in its epilogue. Tiles are split over the pool; each thread im2cols into
// its own scratch block.
#include "kernels/ref/conv.h"

#include <string.h>

#include "kernels/ref/sgemm_f32.h"
#if SDK_FEATURE_X86
#include <immintrin.h>

#include "kernels/sgemm_x86.h"
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>
#endif

namespace sdk {
namespace ref {

namespace {

constexpr int64_t kSlotBudgetFloats = 32 * 1024;  // 128 KiB per thread: stays in L2
constexpr int64_t kChunkTile = 128;                // pixels per tile of a K-chunked conv

struct DwJob {
    const ConvGeom* g;
    const float *x, *w, *b;
    float* y;
    float* scratch;  // per-thread padded planes (x86 kernel), stride floats apart
    size_t stride;
    bool avx512;     // the AVX-512 kernel (x86/conv_f32_avx512.cpp) instead of the AVX2 one
};

// Relu/Clip applied to a block in registers before its one store, so -Os builds make no
// out-of-line act_span_f32 call per row (act_f32's exact comparisons: NaN handled alike).
__attribute__((always_inline)) inline bool dw_vec_act(const ActParams& a) {
    return a.kind == kActRelu || a.kind == kActClip;
}

typedef int32_t v4m __attribute__((vector_size(16)));  // lane masks of v4f comparisons

// m ? a : b per lane, as bit operations (vector ?: is not in every Clang we build with)
__attribute__((always_inline)) inline v4f dw_select(v4m m, v4f a, v4f b) {
    return (v4f)(((v4m)a & m) | ((v4m)b & ~m));
}

__attribute__((always_inline)) inline v4f dw_act4(v4f x, const ActParams& a) {
    const v4f zero = {0.0f, 0.0f, 0.0f, 0.0f};
    if (a.kind == kActRelu) return dw_select((v4m)(x > zero), x, zero);
    if (a.kind == kActClip) {
        const v4f l = zero + a.lo, h = zero + a.hi;
        x = dw_select((v4m)(x > h), h, x);
        x = dw_select((v4m)(x < l), l, x);
    }
    return x;
}

// Depthwise output row, stride 1 along W: all taps of 8 outputs accumulate in two vector
// registers (one store per output instead of one per tap); borders and tails scalar.
void dw_row_s1(const ConvGeom& g, const float* const* rows, const float* const* wrows, int nrows, float bias,
               float* orow) {
    // interior: every kw tap inside the input row
    int lo = g.pl > 0 ? g.pl : 0;                           // ow - pl >= 0
    int hi = g.W - (g.KW - 1) * g.dw + g.pl;                // ow - pl + (KW-1)*dw < W
    if (hi > g.OW) hi = g.OW;
    if (hi < 0) hi = 0;  // no interior (a row narrower than the kernel): all scalar, none at ow < 0
    if (lo > hi) lo = hi;
    auto scalar = [&](int ow) {
        float acc = bias;
        for (int t = 0; t < nrows; ++t) {
            for (int kw = 0; kw < g.KW; ++kw) {
                int iw = ow - g.pl + kw * g.dw;
                if ((unsigned)iw < (unsigned)g.W) acc += wrows[t][kw] * rows[t][iw];
            }
        }
        orow[ow] = dw_vec_act(g.act) ? act_f32(acc, g.act) : acc;
    };
    for (int ow = 0; ow < lo; ++ow) scalar(ow);
    int ow = lo;
    for (; ow + 8 <= hi; ow += 8) {
        v4f a0 = {bias, bias, bias, bias}, a1 = a0;
        for (int t = 0; t < nrows; ++t) {
            const float* r = rows[t] + ow - g.pl;
            for (int kw = 0; kw < g.KW; ++kw) {
                const float wv = wrows[t][kw];
                v4f x0, x1;
                v4_load(&x0, r + kw * g.dw);
                v4_load(&x1, r + kw * g.dw + 4);
                a0 += wv * x0;
                a1 += wv * x1;
            }
        }
        if (dw_vec_act(g.act)) {
            a0 = dw_act4(a0, g.act);
            a1 = dw_act4(a1, g.act);
        }
        memcpy(orow + ow, &a0, sizeof a0);
        memcpy(orow + ow + 4, &a1, sizeof a1);
    }
    for (; ow + 4 <= hi; ow += 4) {  // narrow planes (7x7, 14x14) live mostly here
        v4f a0 = {bias, bias, bias, bias};
        for (int t = 0; t < nrows; ++t) {
            const float* r = rows[t] + ow - g.pl;
            for (int kw = 0; kw < g.KW; ++kw) {
                v4f x0;
                v4_load(&x0, r + kw * g.dw);
                a0 += wrows[t][kw] * x0;
            }
        }
        if (dw_vec_act(g.act)) a0 = dw_act4(a0, g.act);
        memcpy(orow + ow, &a0, sizeof a0);
    }
    for (; ow < g.OW; ++ow) scalar(ow);
}

#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
#define SDK_HAVE_SHUFFLEVECTOR 1
#else
#define SDK_HAVE_SHUFFLEVECTOR 0
#endif

// Depthwise output row, stride 2 along W: 4 outputs read 8 contiguous inputs per tap and
// keep the even lanes, so the taps accumulate in a register as in dw_row_s1.
void dw_row_s2(const ConvGeom& g, const float* const* rows, const float* const* wrows, int nrows, float bias,
               float* orow) {
    auto scalar = [&](int ow) {
        float acc = bias;
        for (int t = 0; t < nrows; ++t) {
            for (int kw = 0; kw < g.KW; ++kw) {
                int iw = ow * 2 - g.pl + kw * g.dw;
                if ((unsigned)iw < (unsigned)g.W) acc += wrows[t][kw] * rows[t][iw];
            }
        }
        orow[ow] = dw_vec_act(g.act) ? act_f32(acc, g.act) : acc;
    };
    int ow = 0;
    for (; ow < g.OW && ow * 2 - g.pl < 0; ++ow) scalar(ow);
#if SDK_HAVE_SHUFFLEVECTOR
    const int span = (g.KW - 1) * g.dw - g.pl + 7;  // last input read by a block at ow = 0
    for (; ow + 4 <= g.OW && ow * 2 + span < g.W; ow += 4) {
        v4f a0 = {bias, bias, bias, bias};
        for (int t = 0; t < nrows; ++t) {
            const float* r = rows[t] + ow * 2 - g.pl;
            for (int kw = 0; kw < g.KW; ++kw) {
                v4f x0, x1;
                v4_load(&x0, r + kw * g.dw);
                v4_load(&x1, r + kw * g.dw + 4);
                a0 += wrows[t][kw] * __builtin_shufflevector(x0, x1, 0, 2, 4, 6);
            }
        }
        if (dw_vec_act(g.act)) a0 = dw_act4(a0, g.act);
        memcpy(orow + ow, &a0, sizeof a0);
    }
#endif
    for (; ow < g.OW; ++ow) scalar(ow);
}

constexpr int kDwMaxRows = 16;

void dw_range(void* arg, int64_t begin, int64_t end) {
    const DwJob& j = *static_cast<const DwJob*>(arg);
    const ConvGeom& g = *j.g;
#if SDK_FEATURE_X86
#if defined(__x86_64__)
    if (j.avx512)
        return x86_dw_range_avx512(g, j.x, j.w, j.b, j.y, begin, end,
                                   j.scratch + (size_t)current_thread_index() * j.stride);
#endif
    if (j.scratch)
        return x86_dw_range_avx2(g, j.x, j.w, j.b, j.y, begin, end,
                                 j.scratch + (size_t)current_thread_index() * j.stride);
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)  // ---- NEON depthwise 3x3/5x5 (kernels/neon/conv_f32.cpp)
    if (j.scratch)
        return neon_dw_range(g, j.x, j.w, j.b, j.y, begin, end,
                                j.scratch + (size_t)current_thread_index() * j.stride);
#endif
    const int mult = g.OC / g.C;  // depth multiplier
    for (int64_t t = begin; t < end; ++t) {
        const int n = (int)(t / g.OC), oc = (int)(t % g.OC), c = oc / mult;
        const float* xin = j.x + ((int64_t)n * g.C + c) * g.H * g.W;
        const float* wk = j.w + (int64_t)oc * g.KH * g.KW;
        float* out = j.y + ((int64_t)n * g.OC + oc) * g.OH * g.OW;
        const float bias = j.b ? j.b[oc] : 0.0f;
        for (int oh = 0; oh < g.OH; ++oh) {
            float* orow = out + (int64_t)oh * g.OW;
            if ((g.sw == 1 || g.sw == 2) && g.KH <= kDwMaxRows) {
                const float* rows[kDwMaxRows];
                const float* wrows[kDwMaxRows];
                int nrows = 0;
                for (int kh = 0; kh < g.KH; ++kh) {
                    const int ih = oh * g.sh - g.pt + kh * g.dh;
                    if (ih < 0 || ih >= g.H) continue;
                    rows[nrows] = xin + (int64_t)ih * g.W;
                    wrows[nrows++] = wk + kh * g.KW;
                }
                if (g.sw == 1)
                    dw_row_s1(g, rows, wrows, nrows, bias, orow);
                else
                    dw_row_s2(g, rows, wrows, nrows, bias, orow);
                if (!dw_vec_act(g.act)) act_span_f32(orow, g.OW, g.act);  // Relu/Clip done in the rows
                continue;
            }
            for (int ow = 0; ow < g.OW; ++ow) orow[ow] = bias;
            for (int kh = 0; kh < g.KH; ++kh) {
                const int ih = oh * g.sh - g.pt + kh * g.dh;
                if (ih < 0 || ih >= g.H) continue;
                const float* irow = xin + (int64_t)ih * g.W;
                for (int kw = 0; kw < g.KW; ++kw) {
                    const float wv = wk[kh * g.KW + kw];
                    const int off = kw * g.dw - g.pl;  // iw = ow * sw + off
                    // valid ow: 0 <= ow*sw + off < W
                    int lo = off >= 0 ? 0 : (-off + g.sw - 1) / g.sw;
                    int hi = g.W - off <= 0 ? 0 : (g.W - off + g.sw - 1) / g.sw;
                    if (hi > g.OW) hi = g.OW;
                    if (g.sw == 1) {
                        const float* src = irow + off;
                        for (int ow = lo; ow < hi; ++ow) orow[ow] += wv * src[ow];
                    } else {
                        for (int ow = lo; ow < hi; ++ow) orow[ow] += wv * irow[ow * g.sw + off];
                    }
                }
            }
            act_span_f32(orow, g.OW, g.act);
        }
    }
}

#if SDK_FEATURE_X86
// One tap of a 16-pixel panel whose pixels span output rows (x86's panels on planes 28 wide and
// less, stride-2 layers): per channel, d[jj] = off[jj] >= 0 ? xc[off[jj]] : 0 by two masked
// AVX2 gathers (the per-lane loop was a quarter of a 3x3 stride-2 layer).
SDK_X86_HOT void gather16(const float* xc, int64_t plane, int cg, const int* off, float* d, int64_t dstep) {
    const __m256i i0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(off));
    const __m256i i1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(off + 8));
    const __m256i none = _mm256_set1_epi32(-1);
    const __m256 m0 = _mm256_castsi256_ps(_mm256_cmpgt_epi32(i0, none));
    const __m256 m1 = _mm256_castsi256_ps(_mm256_cmpgt_epi32(i1, none));
    const __m256 zero = _mm256_setzero_ps();
    for (int c = 0; c < cg; ++c, d += dstep, xc += plane) {
        _mm256_storeu_ps(d, _mm256_mask_i32gather_ps(zero, xc, i0, m0, 4));
        _mm256_storeu_ps(d + 8, _mm256_mask_i32gather_ps(zero, xc, i1, m1, 4));
    }
}
#endif

// im2col of output pixels [j0, j0 + nc) of batch n, group gi into panels of NR columns
// at `dst` (NR = kNR for sgemm_packed, 16 for the AVX2 6x16 tile).
// Input channels [c0, c0 + cn) of the group only (one K chunk: K = cn * KH * KW rows).
template <int NR>
void im2col_panels(const ConvGeom& g, const float* x, int n, int gi, int64_t j0, int nc, float* dst, int c0,
                   int cn) {
    const int cg = cn;
    const int K = cg * g.KH * g.KW;
    const float* xg = x + ((int64_t)n * g.C + (int64_t)gi * (g.C / g.group) + c0) * g.H * g.W;
    const int64_t plane = (int64_t)g.H * g.W;
    const bool pointwise = g.KH == 1 && g.KW == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0;
    if (NR == kNR && pointwise && g.OH == g.H && g.OW == g.W) {  // (one chunk: 1x1 convs are not split)
        // 1x1, stride 1, no padding: B is the input itself, [cg x H*W].
        sgemm_pack_b(xg, plane, 1, K, j0, nc, dst);
        return;
    }
    // Tap-major: which input value (or a zero) a panel column takes depends on the tap
    // (kh, kw), not on the channel, so each tap's offsets are worked out once and reused
    // over the cg channels (rows k = c * KH * KW + tap of the panel).
    const int H = g.H, W = g.W, sw = g.sw, khw = g.KH * g.KW;
    const int64_t dstep = (int64_t)khw * NR;  // panel floats from channel c to c + 1
    // a panel's first pixel (the next ones by stepping along the row: a 64-bit division per column
    // was a library call on ARMv7, ~130 instructions): with the Winograd part by stepping from the
    // first panel's too, else by one division a panel (smaller code: the example SDK's size)
#if SDK_FEATURE_WINOGRAD
    const int64_t q0 = j0 / g.OW;
    int next_oh = (int)q0, next_ow = (int)(j0 - q0 * g.OW);
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON) && SDK_FEATURE_WINOGRAD
    const bool neon = neon_sgemm_enabled();  // (off: the generic loops below, the tier tests' reference)
#endif
    for (int p = 0; p < nc; p += NR) {
        float* panel = dst + (int64_t)(p / NR) * K * NR;
        int ih0[NR], iw0[NR];
        int w = nc - p < NR ? nc - p : NR;
#if SDK_FEATURE_WINOGRAD
        int oh = next_oh, ow = next_ow;
        for (next_ow += NR; next_ow >= g.OW; next_ow -= g.OW) ++next_oh;
#else
        int oh = (int)((j0 + p) / g.OW), ow = (int)((j0 + p) % g.OW);
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON) && SDK_FEATURE_WINOGRAD  // (with the Winograd part, as the
        // K-chunked convs below: the example SDK's size)
        {  // NR pixels of one output row whose every tap is inside the input, the stride-2 loads
           // (2 * NR floats a tap) too: the panel's rows in order, no per-tap set-up (which cost
           // more than the channel loop on few-channel stems)
            const int KH = g.KH, KW = g.KW, dh = g.dh, dw = g.dw, ih = oh * g.sh - g.pt, iw = ow * sw - g.pl;
            // 3 taps a row (MobileNets' 3x3 stems): the row's 2 * NR + 1 columns by two de-interleaving
            // loads and one, the third tap's by EXT (11 instructions a tap were 3 for all three); no
            // read past the last column taken, so a row's last panel is taken too, and its first
            // with a left pad of 1 (column -1 a zero, the first tap's columns -1, 1, .., 13 by EXT)
            const bool k3 = NR == 8 && KW == 3 && dw == 1;
            if (neon && w == NR && ow + NR <= g.OW && sw == 2 && ih >= 0 && ih + (KH - 1) * dh < H &&
                iw >= -(int)k3 && iw + (KW - 1) * dw + 2 * NR <= W + k3) {
                float* d = panel;
                if (k3 && iw < 0) {
                    const float32x4_t z = vdupq_n_f32(0.0f);
                    for (int c = 0; c < cg; ++c)
                        for (int kh = 0; kh < KH; ++kh, d += 3 * NR) {
                            const float* src = xg + c * plane + (int64_t)(ih + kh * dh) * W;
                            const float32x4x2_t a = vld2q_f32(src), b = vld2q_f32(src + 8);
                            vst1q_f32(d, vextq_f32(z, a.val[1], 3));  // kw 0: columns -1, 1, .., 13
                            vst1q_f32(d + 4, vextq_f32(a.val[1], b.val[1], 3));
                            vst1q_f32(d + 8, a.val[0]);  // kw 1: 0, 2, .., 14
                            vst1q_f32(d + 12, b.val[0]);
                            vst1q_f32(d + 16, a.val[1]);  // kw 2: 1, 3, .., 15
                            vst1q_f32(d + 20, b.val[1]);
                        }
                    continue;
                }
                if (k3) {
                    for (int c = 0; c < cg; ++c)
                        for (int kh = 0; kh < KH; ++kh, d += 3 * NR) {
                            const float* src = xg + c * plane + (int64_t)(ih + kh * dh) * W + iw;
                            const float32x4x2_t a = vld2q_f32(src), b = vld2q_f32(src + 8);
                            const float32x4_t e = vld1q_dup_f32(src + 16);
                            vst1q_f32(d, a.val[0]);  // kw 0: columns 0, 2, .., 14
                            vst1q_f32(d + 4, b.val[0]);
                            vst1q_f32(d + 8, a.val[1]);  // kw 1: 1, 3, .., 15
                            vst1q_f32(d + 12, b.val[1]);
                            vst1q_f32(d + 16, vextq_f32(a.val[0], b.val[0], 1));  // kw 2: 2, 4, .., 16
                            vst1q_f32(d + 20, vextq_f32(b.val[0], e, 1));
                        }
                    continue;
                }
                for (int c = 0; c < cg; ++c)
                    for (int kh = 0; kh < KH; ++kh) {
                        const float* src = xg + c * plane + (int64_t)(ih + kh * dh) * W + iw;
                        for (int kw = 0; kw < KW; ++kw, d += NR, src += dw)
                            for (int jj = 0; jj < NR; jj += 4) vst1q_f32(d + jj, vld2q_f32(src + 2 * jj).val[0]);
                    }
                continue;
            }
        }
#endif
        for (int jj = 0; jj < NR; ++jj) {
            if (jj < w) {
                ih0[jj] = oh * g.sh - g.pt;
                iw0[jj] = ow * sw - g.pl;
                if (++ow == g.OW) {
                    ow = 0;
                    ++oh;
                }
            } else {
                ih0[jj] = -(1 << 28);  // forces zeros in the padding columns
                iw0[jj] = 0;
            }
        }
        // all NR pixels on one output row: the taps of one (c, kh, kw) are NR input
        // values sw apart on one input row, so interior taps need no per-pixel checks
        const bool one_row = w == NR && ih0[0] == ih0[NR - 1];
        for (int kh = 0; kh < g.KH; ++kh) {
            for (int kw = 0; kw < g.KW; ++kw) {
                float* d = panel + (kh * g.KW + kw) * NR;
                const float* xc = xg;
                const int ih = ih0[0] + kh * g.dh, iw = iw0[0] + kw * g.dw;
                if (one_row && (unsigned)ih < (unsigned)H && iw >= 0 && iw + (NR - 1) * sw < W) {
                    const float* src = xc + (int64_t)ih * W + iw;
                    if (sw == 1) {
                        for (int c = 0; c < cg; ++c, d += dstep, src += plane) memcpy(d, src, NR * sizeof(float));
                        continue;
                    }
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
                    if (sw == 2 && iw + 2 * NR <= W) {  // even lanes of 2 * NR floats: VLD2 (ARMv7 would
                        // run the generic vectors below as scalar VFP code)
                        for (int c = 0; c < cg; ++c, d += dstep, src += plane)
                            for (int jj = 0; jj < NR; jj += 4) vst1q_f32(d + jj, vld2q_f32(src + 2 * jj).val[0]);
                        continue;
                    }
#elif SDK_HAVE_SHUFFLEVECTOR
                    if (sw == 2 && iw + 2 * NR <= W) {  // even lanes of 2 * NR floats
                        for (int c = 0; c < cg; ++c, d += dstep, src += plane) {
                            for (int jj = 0; jj < NR; jj += 4) {
                                v4f a, b;
                                v4_load(&a, src + 2 * jj);
                                v4_load(&b, src + 2 * jj + 4);
                                const v4f e = __builtin_shufflevector(a, b, 0, 2, 4, 6);
                                memcpy(d + jj, &e, sizeof e);
                            }
                        }
                        continue;
                    }
#endif
                    for (int c = 0; c < cg; ++c, d += dstep, src += plane)
                        for (int jj = 0; jj < NR; ++jj) d[jj] = src[jj * sw];
                    continue;
                }
                int off[NR];  // offset in the channel plane, or -1: a zero (padding, or a padding column)
                for (int jj = 0; jj < NR; ++jj) {
                    const int y = ih0[jj] + kh * g.dh, x = iw0[jj] + kw * g.dw;
                    off[jj] = (unsigned)y < (unsigned)H && (unsigned)x < (unsigned)W ? y * W + x : -1;
                }
#if SDK_FEATURE_X86
                if constexpr (NR == kX86Panel) {
                    gather16(xc, plane, cg, off, d, dstep);
                    continue;
                }
#endif
                bool inside = !one_row;  // (one row here: a tap in the padding)
                for (int jj = 0; inside && jj < NR; ++jj) inside = off[jj] >= 0;
                if (inside) {  // a panel across an output row's end, no padding: a plain gather
                    for (int c = 0; c < cg; ++c, d += dstep, xc += plane)
                        for (int jj = 0; jj < NR; ++jj) d[jj] = xc[off[jj]];
                    continue;
                }
                for (int c = 0; c < cg; ++c, d += dstep, xc += plane)
                    for (int jj = 0; jj < NR; ++jj) d[jj] = off[jj] >= 0 ? xc[off[jj]] : 0.0f;
            }
        }
    }
}

// 1x1, stride 1, no padding: B is the input, [C/group x H*W].
inline bool pointwise_in_place(const ConvGeom& g) {
    return g.KH == 1 && g.KW == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 && g.pb == 0 && g.pr == 0;
}

#if SDK_FEATURE_X86
// A 1x1 conv with at least this many output channels per group packs its input tile into
// 16-column panels (the copy is shared by that many rows); fewer read the input in place.
constexpr int kX86PackMinRows = 64;
// ... unless its K (input channels) is at most this: the expand convs of the mobile CNNs
// (24 -> 72/144 on 56x56, 32 -> 192 on 28x28) read a short column per pixel, and packing it cost
// more than it saved (in place: 24 -> 72 on 56x56 142 -> 87 us, 32 -> 192 on 28x28 93 -> 71 us).
constexpr int kX86InPlaceMaxK = 48;
// A 1x1 conv (stride 1, no padding) over at most this many pixels reads its input in place
// in ONE tile (ConvF32Plan::x86_pw_plane): the expand/project convs at the end of the mobile
// CNNs (7x7, 14x14 planes, K up to ~1200) then read their weight matrix once, with the whole
// input (K x pixels) staying in L2, not once per 16-48 pixel tile of the packing budget
// (1152 -> 192 channels on 7x7: 4 passes over 0.9 MB of weights, 1.4x the time).
constexpr int64_t kX86PlanePixels = 256;
// ... and with at least kX86PackMinRows output channels and K > kX86InPlaceMaxK that plane is
// packed into 16-column panels first (ConvF32Plan::x86_pw_pack), whole, in one K pass when
// K x its pixels fit this many floats (384 KiB per thread: L2), else in the K blocks below.
// Read in place, each 6 x 16 register tile walked the input's rows 169-196 floats apart, and
// a long K was cut into blocks whose partial sums C took twice (squeezenet1_1's classifier,
// 512 -> 1000 on 13x13, was 1.4x onnxruntime's time; AVX2, AMD EPYC): packed, the 1x1s of
// the zoo's 7x7-14x14 planes ran 0.81-1.0x their in-place time (bench/conv_layers.cpp).
constexpr int64_t kX86PlanePackFloats = 96 * 1024;

// K rows per block of a long-K conv GEMM on x86 (conv_f32_plan), and its pixel tile.
constexpr int kX86WideTile = 128;
constexpr int kX86KBlock = 256;

// Columns [n0, n0 + nc) of B (row stride rs, K rows) into 16-column panels, zero-padded.
// Optimized for speed (AVX2 moves): at -Os GCC made each 64-byte row a `rep movsl`, and
// packing took as long as the GEMM of a 1x1 conv over 256 channels.
SDK_X86_HOT void pack16(const float* B, int64_t rs, int K, int64_t n0, int nc, float* out) {
    for (int p = 0; p < nc; p += 16) {
        const int w = nc - p < 16 ? nc - p : 16;
        float* dst = out + (int64_t)(p / 16) * K * 16;
        const float* src = B + (n0 + p);
        if (w == 16) {  // a constant-size copy (inlined), not a memcpy call per 64 bytes
            for (int k = 0; k < K; ++k) memcpy(dst + k * 16, src + k * rs, 16 * sizeof(float));
            continue;
        }
        for (int k = 0; k < K; ++k) {
            memcpy(dst + k * 16, src + k * rs, (size_t)w * sizeof(float));
            for (int jj = w; jj < 16; ++jj) dst[k * 16 + jj] = 0.0f;
        }
    }
}
#endif

#if SDK_FEATURE_X86
// im2col_panels<kX86Panel> optimized for speed with AVX2 moves (the x86 GEMM path only; the
// portable instantiation keeps the build's size-first code): at -Os its 64-byte row copies
// were `rep movs` calls, 9-16 % of a 3x3 conv's time.
SDK_X86_HOT __attribute__((flatten)) void im2col16(const ConvGeom& g, const float* x, int n, int gi, int64_t j0,
                                                   int nc, float* dst, int c0, int cn) {
    im2col_panels<kX86Panel>(g, x, n, gi, j0, nc, dst, c0, cn);
}

struct StemJob {
    const ConvGeom* g;
    const float *x, *w, *b;
    float* y;
    char* scratch;
    size_t stride;
    bool avx512;  // x86_stem_rows_avx512: 16-channel blocks, no scratch
};

void stem_rows(void* arg, int64_t begin, int64_t end) {
    const StemJob& j = *static_cast<const StemJob*>(arg);
#if defined(__x86_64__)
    if (j.avx512) return x86_stem_rows_avx512(*j.g, j.x, j.w, j.b, j.y, begin, end);
#endif
    x86_stem_rows_avx2(*j.g, j.x, j.w, j.b, j.y, begin, end,
                       reinterpret_cast<float*>(j.scratch + (size_t)current_thread_index() * j.stride));
}

struct GrpJob {
    const ConvGeom* g;
    const float *x, *w, *b;
    float* y;
    float* scratch;
    size_t stride;  // floats
};

void grp_range(void* arg, int64_t begin, int64_t end) {
    const GrpJob& j = *static_cast<const GrpJob*>(arg);
    x86_grp_range_avx2(*j.g, j.x, j.w, j.b, j.y, begin, end, j.scratch + (size_t)current_thread_index() * j.stride);
}
#endif

struct GemmConvJob {
    const ConvGeom* g;
    const ConvF32Plan* plan;
    const float *x, *w, *b;
    float* y;
    char* scratch;
    size_t stride;
    int64_t tiles_per_image;  // tiles per (n, group)
    int64_t panels;           // GEMM panels (nr output pixels) per image, shared out among the tiles
    int nr;                   // panel width
    int oc_blocks;            // output-channel blocks per tile (> 1 only to feed the threads)
    int oc_block;             // rows per block
    bool ob_major;            // task t: block t / tiles, tile t % tiles (else tile-major)
    bool x86;                 // the AVX2 6x16 GEMM (16-column panels, or a 1x1 input in place)
    const float* wpack;       // NEON: the weights packed at load (plan.wpack), or nullptr
};

// a / b for a >= 0, b > 0: a 32-bit division when both fit (ARMv7 has no 64-bit divide:
// __aeabi_ldivmod, ~130 instructions, six of them per tile here).
inline int64_t udiv(int64_t a, int64_t b) {
    return (((uint64_t)a | (uint64_t)b) >> 31) == 0 ? (int64_t)((uint32_t)a / (uint32_t)b) : a / b;
}

#if SDK_FEATURE_NEON && defined(__ARM_NEON) && SDK_FEATURE_WINOGRAD
// A K-chunked conv's rows [r0, r0 + m) of group gi over input channels [c0, c0 + cn) (one K
// chunk) on the weights packed at load (conv_f32_pack's layout: per group, per chunk, the
// packed rows' groups of 8), then the group's last ocg % 8 rows in place.
void packed_conv_gemm(const GemmConvJob& j, int gi, int r0, int m, int c0, int cn, int nc, const float* buf,
                      float* yg, const GemmEpilogue& e) {
    const ConvGeom& g = *j.g;
    const int ocg = g.OC / g.group, khw = g.KH * g.KW, K = g.C / g.group * khw, kk = cn * khw;
    const int packed_rows = ocg / kPackRows * kPackRows;
    const int64_t opix = (int64_t)g.OH * g.OW;
    int m8 = r0 < packed_rows ? packed_rows - r0 : 0;
    if (m8 > m) m8 = m / kPackRows * kPackRows;
    if (m8 > 0)
        neon_sgemm_packed_a(m8, nc, kk, j.wpack + (int64_t)gi * packed_rows * K + (int64_t)packed_rows * c0 * khw +
                                            (int64_t)r0 * kk, buf, yg, opix, e);
    if (m > m8) {
        GemmEpilogue er = e;
        if (er.row_bias) er.row_bias += m8;
        sgemm_packed(m - m8, nc, kk, j.w + ((int64_t)gi * ocg + r0 + m8) * K + (int64_t)c0 * khw, K, 1, buf,
                     yg + m8 * opix, opix, er);
    }
}
#endif

void gemm_conv_tiles(void* arg, int64_t begin, int64_t end) {
    const GemmConvJob& j = *static_cast<const GemmConvJob*>(arg);
    const ConvGeom& g = *j.g;
    const int cg = g.C / g.group, ocg = g.OC / g.group;
    const int K = cg * g.KH * g.KW;
    const int64_t opix = (int64_t)g.OH * g.OW;
    float* buf = reinterpret_cast<float*>(j.scratch + (size_t)current_thread_index() * j.stride);
    int64_t packed = -1;  // the (n, group, tile) whose panels are in buf: the next block reuses them
    for (int64_t t = begin; t < end; ++t) {
        const int64_t ntiles = (int64_t)g.N * g.group * j.tiles_per_image;
        const int64_t tq = udiv(t, j.ob_major ? ntiles : j.oc_blocks);
        const int64_t tr = t - tq * (j.ob_major ? ntiles : j.oc_blocks);
        const int ob = (int)(j.ob_major ? tq : tr);
        const int64_t nt = j.ob_major ? tr : tq;
        const int64_t ng = udiv(nt, j.tiles_per_image);
        const int64_t tile = nt - ng * j.tiles_per_image;
        const int n = (int)udiv(ng, g.group), gi = (int)(ng - (int64_t)n * g.group);
        // tile t: panels [t * P / T, (t + 1) * P / T), at most plan.tile pixels, equal to
        // within a panel (a 14x14 map in 4 tiles: 3 + 3 + 3 + 4 panels, not 64 + 64 + 64 + 4 pixels, so
        // 2 threads get 7 and 6 panels, not 8 and 5)
        const int64_t j0 = udiv(tile * j.panels, j.tiles_per_image) * j.nr;
        const int64_t j1 = udiv((tile + 1) * j.panels, j.tiles_per_image) * j.nr;
        const int nc = (int)((j1 < opix ? j1 : opix) - j0);
        const int r0 = ob * j.oc_block;
        const int m = ocg - r0 < j.oc_block ? ocg - r0 : j.oc_block;
        GemmEpilogue e;
        e.row_bias = j.b ? j.b + (int64_t)gi * ocg + r0 : nullptr;
        e.act = g.act;
        const float* wg = j.w + ((int64_t)gi * ocg + r0) * K;
        float* yg = j.y + ((int64_t)n * g.OC + (int64_t)gi * ocg + r0) * opix + j0;
        const int kc = j.plan->kc;
        if (kc < cg) {
            // K in chunks of kc input channels: each chunk's panels (kc * KH * KW rows x the
            // tile) stay in L2 and the weight rows are read in kc * KH * KW runs, instead of
            // a tile so narrow that the whole weight matrix streams from memory per 16
            // pixels. Chunk 0 writes C, later ones add; bias and activation with the last.
            packed = -1;
            const int khw = g.KH * g.KW;
            for (int c0 = 0; c0 < cg; c0 += kc) {
                const int cn = cg - c0 < kc ? cg - c0 : kc;
                GemmEpilogue ec;
                ec.accumulate = c0 > 0;
                if (c0 + cn >= cg) {
                    ec.row_bias = e.row_bias;
                    ec.act = e.act;
                }
                const float* wc = wg + (int64_t)c0 * khw;
#if SDK_FEATURE_X86
                if (j.x86 && pointwise_in_place(g)) {
                    const float* xc = j.x + ((int64_t)n * g.C + (int64_t)gi * cg + c0) * opix;
                    // in place as the unchunked 1x1 below (x86_pw_plane: the whole plane is one tile,
                    // wider than the scratch holds)
                    if (!j.plan->x86_pw_pack && (j.oc_block < kX86PackMinRows || cn <= kX86InPlaceMaxK || j.plan->x86_pw_plane)) {
                        x86_sgemm16_avx2(m, nc, cn, wc, K, xc + j0, opix, kX86Panel, yg, opix, ec);
                    } else {
                        pack16(xc, opix, cn, j0, nc, buf);
                        x86_sgemm16_avx2(m, nc, cn, wc, K, buf, kX86Panel, (int64_t)kX86Panel * cn, yg, opix, ec);
                    }
                    continue;
                }
                if (j.x86) {
                    im2col16(g, j.x, n, gi, j0, nc, buf, c0, cn);
                    x86_sgemm16_avx2(m, nc, cn * khw, wc, K, buf, kX86Panel, (int64_t)kX86Panel * cn * khw, yg, opix,
                                     ec);
                    continue;
                }
#endif
                im2col_panels<kNR>(g, j.x, n, gi, j0, nc, buf, c0, cn);
#if SDK_FEATURE_NEON && defined(__ARM_NEON) && SDK_FEATURE_WINOGRAD  // (conv_f32_packed_floats)
                if (j.wpack && r0 % kPackRows == 0) {  // the bias first, later chunks add in the tiles' registers
                    ec.row_bias = c0 ? nullptr : e.row_bias;
                    packed_conv_gemm(j, gi, r0, m, c0, cn, nc, buf, yg, ec);
                    continue;
                }
#endif
                sgemm_packed(m, nc, cn * khw, wc, K, 1, buf, yg, opix, ec);
            }
            continue;
        }
        const bool fresh = packed != nt;
        packed = nt;
#if SDK_FEATURE_X86
        if (j.x86) {
            if (pointwise_in_place(g) && !j.plan->x86_pw_pack &&
                (j.oc_block < kX86PackMinRows || K <= kX86InPlaceMaxK || j.plan->x86_pw_plane)) {  // B is the input itself: no copy
                const float* xg = j.x + ((int64_t)n * g.C + (int64_t)gi * cg) * opix + j0;
                x86_sgemm16_avx2(m, nc, K, wg, K, xg, opix, kX86Panel, yg, opix, e);
            } else {
                if (!fresh) {
                } else if (pointwise_in_place(g)) {
                    pack16(j.x + ((int64_t)n * g.C + (int64_t)gi * cg) * opix, opix, K, j0, nc, buf);
                } else {
                    im2col16(g, j.x, n, gi, j0, nc, buf, 0, cg);
                }
                x86_sgemm16_avx2(m, nc, K, wg, K, buf, kX86Panel, (int64_t)kX86Panel * K, yg, opix, e);
            }
            continue;
        }
#endif
        if (fresh) im2col_panels<kNR>(g, j.x, n, gi, j0, nc, buf, 0, cg);
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
        if (j.wpack && r0 % kPackRows == 0) {  // the packed rows, then the group's last ocg % 8 in place
            const int packed_rows = ocg / kPackRows * kPackRows;
            int m8 = r0 < packed_rows ? packed_rows - r0 : 0;
            if (m8 > m) m8 = m / kPackRows * kPackRows;
            if (m8 > 0)
                neon_sgemm_packed_a(m8, nc, K, j.wpack + ((int64_t)gi * packed_rows + r0) * K, buf, yg, opix, e);
            if (m > m8) {
                GemmEpilogue er = e;
                if (er.row_bias) er.row_bias += m8;
                sgemm_packed(m - m8, nc, K, wg + (int64_t)m8 * K, K, 1, buf, yg + m8 * opix, opix, er);
            }
            continue;
        }
#endif
        sgemm_packed(m, nc, K, wg, K, 1, buf, yg, opix, e);
    }
}

}  // namespace

ConvF32Plan conv_f32_plan(const ConvGeom& g) {
    ConvF32Plan p;
    p.depthwise = g.C == g.group;
    p.tile = 0;
    p.kc = g.C / g.group;
    p.slot_floats = 0;
    p.x86_dw = false;
    p.x86_gemm = false;
    p.x86_stem = false;
    p.x86_grp = false;
    p.x86_dw512 = false;
    p.x86_pw_plane = false;
    p.x86_pw_pack = false;
    p.neon_dw = false;
    p.wino_rb = p.wino_ob = p.wino_mt = 0;
    p.wino_u = nullptr;
    p.wino_pk = false;
    p.wpack = nullptr;
#if SDK_FEATURE_NEON && defined(__ARM_NEON)  // ---- NEON depthwise 3x3/5x5 (kernels/neon/conv_f32.cpp)
    // scratch whatever the tier: the test hook can switch NEON off after planning
    if (p.depthwise && neon_dw_fits(g)) {
        p.neon_dw = true;
        p.slot_floats = neon_dw_scratch_floats(g);
    }
#endif
#if SDK_FEATURE_X86
    if (p.depthwise && x86_sgemm_avx2_enabled()) {
        p.slot_floats = x86_dw_scratch_floats(g);
        p.x86_dw = p.slot_floats > 0;
#if defined(__x86_64__)
        // scratch for both tiers: the test hook can switch AVX-512 off after planning
        if (x86_f32_avx512_enabled() && x86_dw512_fits(g)) {
            p.x86_dw512 = true;
            if (p.slot_floats < x86_dw512_scratch_floats(g)) p.slot_floats = x86_dw512_scratch_floats(g);
        }
#endif
    }
#endif
    if (p.depthwise) return p;
#if SDK_FEATURE_WINOGRAD
    conv_f32_wino_plan(g, p);
    if (p.wino_rb) return p;
#endif
    int nr = kNR;
#if SDK_FEATURE_X86
    p.x86_gemm = x86_sgemm_avx2_enabled();
    if (p.x86_gemm) nr = kX86Panel;
#endif
    const int64_t K = (int64_t)(g.C / g.group) * g.KH * g.KW;
    int64_t tile = kSlotBudgetFloats / K / nr * nr;
    if (tile > 256) tile = 256;
    if (tile < nr) tile = nr;
    int64_t opix = (int64_t)g.OH * g.OW;
    int64_t opix_r = (opix + nr - 1) / nr * nr;
    if (tile > opix_r) tile = opix_r;
    // equal tiles (784 pixels: 4 x 196 -> 208, not 3 x 256 + a 16-pixel remnant that
    // costs a whole tile's weight pass)
    const int64_t ntiles = (opix + tile - 1) / tile;
    tile = ((opix + ntiles - 1) / ntiles + nr - 1) / nr * nr;
    p.tile = (int32_t)tile;
    p.slot_floats = K * tile;  // (kept for the x86_pw_plane case: the test hook can switch x86 off)
#if SDK_FEATURE_X86
    p.x86_pw_plane = p.x86_gemm && pointwise_in_place(g) && opix <= kX86PlanePixels;
    p.x86_pw_pack = p.x86_pw_plane && g.OC / g.group >= kX86PackMinRows && K > kX86InPlaceMaxK;
#endif
    // A spatial kernel whose K is too long for a wide tile (3x3 over 64+ channels: tiles of
    // 16-32 pixels, the whole weight matrix read again for each) splits K into chunks of
    // input channels instead, with tiles of up to kChunkTile pixels.
    const int khw = g.KH * g.KW;
#if SDK_FEATURE_X86
    // x86: a long K (1x1 convs over 257-2048 channels) is cut into blocks of
    // about kX86KBlock rows, each swept by the register tile over a wide pixel tile: a tile's
    // weight rows (12 x block) stay in L1 and its packed panels in L2, and the weights are
    // read once per wide tile instead of once per 16-64 pixels (K = 1024: 32-pixel tiles
    // read resnet50's 2 MB weight matrices 7 times per layer, at 85-130 GFLOP/s).
    if (p.x86_gemm && khw == 1 && K > kX86KBlock) {
        int64_t t2 = opix_r < kX86WideTile ? opix_r : kX86WideTile;
        const int64_t n2 = (opix + t2 - 1) / t2;
        t2 = ((opix + n2 - 1) / n2 + nr - 1) / nr * nr;
        const int cg = g.C / g.group;
        int64_t kc = kX86KBlock / khw;
        if (kc < 1) kc = 1;
        const int64_t chunks = (cg + kc - 1) / kc;
        kc = (cg + chunks - 1) / chunks;  // equal chunks
        p.tile = (int32_t)t2;
        p.kc = (int32_t)kc;
        p.slot_floats = kc * khw * t2;
        if (p.x86_pw_pack) {  // the whole plane a tile: one K pass if it fits
            if (K * opix_r <= kX86PlanePackFloats) p.kc = cg;
            p.slot_floats = (int64_t)p.kc * opix_r;
        }
    } else if (p.x86_pw_pack) {  // K <= kX86KBlock: the whole plane packed, if it fits
        if (K * opix_r > kX86PlanePackFloats)
            p.x86_pw_pack = false;
        else if (p.slot_floats < K * opix_r)
            p.slot_floats = K * opix_r;
    } else
#endif
    if (khw > 1 && tile < kChunkTile && opix_r > tile) {
        int64_t t2 = opix_r < kChunkTile ? opix_r : kChunkTile;
        const int64_t n2 = (opix + t2 - 1) / t2;
        t2 = ((opix + n2 - 1) / n2 + nr - 1) / nr * nr;
        int64_t kc = kSlotBudgetFloats / (khw * t2);
        if (kc >= 8) {
            const int cg = g.C / g.group;
            const int64_t chunks = (cg + kc - 1) / kc;
            kc = (cg + chunks - 1) / chunks;  // equal chunks
            p.tile = (int32_t)t2;
            p.kc = (int32_t)kc;
            p.slot_floats = kc * khw * t2;
        }
    }
#if SDK_FEATURE_X86
    // the GEMM plan stays valid: the test hook can switch the AVX2 kernels off after planning
    if (p.x86_gemm && x86_stem_fits(g)) {
        p.x86_stem = true;
        if (p.slot_floats < x86_stem_scratch_floats(g)) p.slot_floats = x86_stem_scratch_floats(g);
    }
#if defined(__x86_64__)
    if (p.x86_gemm && x86_f32_avx512_enabled() && x86_stem512_fits(g)) p.x86_stem = true;  // 7x7: AVX-512 only
#endif
    if (p.x86_gemm && x86_grp_fits(g)) {
        p.x86_grp = true;
        if (p.slot_floats < x86_grp_scratch_floats(g)) p.slot_floats = x86_grp_scratch_floats(g);
    }
#endif
    return p;
}

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
int64_t conv_f32_packed_floats(const ConvGeom& g, const ConvF32Plan& plan) {
    const int ocg = g.OC / g.group;
    // K-chunked convs (plan.kc < C / group: dense spatial kernels over 64+ channels) take the packed
    // tiles, which add each chunk to the sums in their registers, in builds with the Winograd part
    // (the dense 3x3 models; SDKs without one, such as the example's MobileNets, keep the bytes)
    if (plan.depthwise || plan.wino_rb || ocg < kPackRows || !neon_sgemm_enabled() ||
        (!SDK_FEATURE_WINOGRAD && plan.kc < g.C / g.group))
        return 0;
    return (int64_t)g.group * (ocg / kPackRows * kPackRows) * (g.C / g.group) * g.KH * g.KW;
}

void conv_f32_pack(const ConvGeom& g, ConvF32Plan& plan, const float* w, float* out) {
    const int ocg = g.OC / g.group, K = g.C / g.group * g.KH * g.KW;
    const int packed_rows = ocg / kPackRows * kPackRows;
#if SDK_FEATURE_WINOGRAD
    const int khw = g.KH * g.KW, cg = g.C / g.group;
    if (plan.kc < cg) {  // per group, per K chunk (plan.kc input channels) its rows' groups of 8
        for (int gi = 0; gi < g.group; ++gi)
            for (int c0 = 0; c0 < cg; c0 += plan.kc) {
                const int kk = (cg - c0 < plan.kc ? cg - c0 : plan.kc) * khw;
                neon_sgemm_pack_a(w + (int64_t)gi * ocg * K + (int64_t)c0 * khw, K, packed_rows, kk,
                                  out + (int64_t)gi * packed_rows * K + (int64_t)packed_rows * c0 * khw);
            }
        plan.wpack = out;
        return;
    }
#endif
    for (int gi = 0; gi < g.group; ++gi)
        neon_sgemm_pack_a(w + (int64_t)gi * ocg * K, K, packed_rows, K, out + (int64_t)gi * packed_rows * K);
    plan.wpack = out;
}
#endif

size_t conv_f32_thread_scratch_bytes(const ConvF32Plan& plan) {
    return (size_t)plan.slot_floats * sizeof(float);
}

void conv_f32(const ConvGeom& g, const ConvF32Plan& plan, const float* x, const float* w, const float* b, float* y,
              void* thread_scratch, size_t stride, ThreadPool* pool) {
    if (plan.depthwise) {
        DwJob j = {&g, x, w, b, y, nullptr, stride / sizeof(float), false};
#if SDK_FEATURE_X86
        // the plan's choice, unless the kernel was switched off since (test hook)
        if (plan.x86_dw && x86_sgemm_avx2_enabled()) j.scratch = static_cast<float*>(thread_scratch);
#if defined(__x86_64__)
        if (plan.x86_dw512 && x86_f32_avx512_enabled()) {
            j.scratch = static_cast<float*>(thread_scratch);
            j.avx512 = true;
        }
#endif
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
        if (plan.neon_dw && neon_sgemm_enabled()) j.scratch = static_cast<float*>(thread_scratch);
#endif
        int64_t per_task = (int64_t)g.OH * g.OW * g.KH * g.KW;
        int64_t grain = per_task > 0 ? (1 << 15) / per_task : 1;
        parallel_for(pool, (int64_t)g.N * g.OC, grain < 1 ? 1 : grain, dw_range, &j);
        return;
    }
#if SDK_FEATURE_WINOGRAD
    if (plan.wino_rb) return conv_f32_wino(g, plan, x, w, b, y, thread_scratch, stride, pool);
#endif
#if SDK_FEATURE_X86
    // (the GEMM below when the AVX-512 stem was planned but switched off since: test hook)
    if (plan.x86_stem && x86_sgemm_avx2_enabled() && (x86_stem_fits(g) || x86_f32_avx512_enabled())) {
        StemJob sj = {&g, x, w, b, y, static_cast<char*>(thread_scratch), stride, false};
        int cb = 8;  // output channels per task
#if defined(__x86_64__)
        if (x86_f32_avx512_enabled() && x86_stem512_fits(g)) {
            sj.avx512 = true;
            cb = 16;
        }
#endif
        const int64_t rows = (int64_t)g.N * ((g.OC + cb - 1) / cb) * g.OH;
        const int64_t per_row = (int64_t)g.OW * cb * g.C * g.KH * g.KW;  // multiply-adds
        const int64_t grain = (1 << 17) / (per_row > 0 ? per_row : 1);
        parallel_for(pool, rows, grain < 1 ? 1 : grain, stem_rows, &sj);
        return;
    }
#endif
#if SDK_FEATURE_X86
    if (plan.x86_grp && x86_sgemm_avx2_enabled()) {  // (the GEMM below when switched off since: test hook)
        GrpJob gj = {&g, x, w, b, y, static_cast<float*>(thread_scratch), stride / sizeof(float)};
        const int64_t per_task = (int64_t)g.OC / g.group * (g.C / g.group) * g.KH * g.KW * g.OH * g.OW;
        const int64_t grain = (1 << 17) / (per_task > 0 ? per_task : 1);
        parallel_for(pool, (int64_t)g.N * g.group, grain < 1 ? 1 : grain, grp_range, &gj);
        return;
    }
#endif
    const int64_t opix = (int64_t)g.OH * g.OW;
    GemmConvJob j;
    j.g = &g;
    j.plan = &plan;
    j.x = x;
    j.w = w;
    j.b = b;
    j.y = y;
    j.scratch = static_cast<char*>(thread_scratch);
    j.stride = stride;
    j.tiles_per_image = (opix + plan.tile - 1) / plan.tile;
    j.x86 = false;
    j.nr = kNR;
    j.wpack = nullptr;
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    if (plan.wpack && neon_sgemm_enabled()) j.wpack = plan.wpack;  // (unless switched off since: test hook)
#endif
#if SDK_FEATURE_X86
    // the plan's choice (16-column tiles), unless the kernel was switched off since (test hook)
    j.x86 = plan.x86_gemm && x86_sgemm_avx2_enabled();
    if (j.x86) j.nr = kX86Panel;
#endif
    j.panels = (opix + j.nr - 1) / j.nr;
    int64_t tile = plan.tile;
#if SDK_FEATURE_X86
    if (j.x86 && plan.x86_pw_plane) {
        j.tiles_per_image = 1;
        tile = j.panels * j.nr;
    }
#endif
    const int threads = pool_threads(pool);
#if SDK_FEATURE_X86
    // A 1x1 conv that reads its input in place (no packing: a pixel split costs nothing extra)
    // over more pixels than it has output channels (the input outweighs the weights: the
    // squeeze 1x1s of SqueezeNet, the projections of the mobile CNNs after a depthwise layer)
    // splits its pixels among the threads, not its channels, even when its tiles (one: the
    // whole plane, x86_pw_plane; three at 27x27) do not divide: each thread then reads half
    // the input, not all of it, half of which the other core had just written (a channel
    // split ran these layers no faster on 2 threads than on 1). Panel-aligned tiles: the
    // columns and their sums stay the same, so do the output bits.
    if (j.x86 && threads > 1 && g.N * g.group == 1 && pointwise_in_place(g) && opix >= g.OC &&
        (g.OC < kX86PackMinRows || g.C <= kX86InPlaceMaxK || plan.x86_pw_plane) && j.tiles_per_image % threads != 0 &&
        j.panels >= 4 * threads)
        j.tiles_per_image = (j.tiles_per_image + threads - 1) / threads * threads;
#endif
    // Tiles that do not divide among the threads (13 tiles of a 56x56 map on 2 threads: 7 and
    // 6, the 13th a remnant) become the next multiple when there are at least 2 per thread:
    // 14 tiles of 14 panels, 7 each, instead of 112 and 84 panels (the slower thread had 57 %
    // of the layer). The tiles only get narrower (the scratch holds them), the columns and
    // their sums stay the same: the output bits do not depend on the thread count.
    if (threads > 1 && j.tiles_per_image >= 2 * threads && (int64_t)g.N * g.group * j.tiles_per_image % threads != 0) {
        const int64_t t = (j.tiles_per_image + threads - 1) / threads * threads;
        if (t <= j.panels) j.tiles_per_image = t;
    }
    // Layers with few pixel tiles (28x28 and smaller: 1-4) whose tiles do not divide among
    // the threads (one 7x7 or 14x14 tile, 3 tiles on 2 threads) split their output
    // channels instead, in one block per thread, and each thread runs its block over all
    // the tiles (one contiguous run of tasks: the grain). Each thread streams only its
    // share of the weights and packs each tile once. (Blocks of ~4 tasks per thread, the
    // pool's default, packed a tile again for every block: 7x7 layers ran at 0.7-0.95x
    // their 1-thread time on 2 threads.) Blocks are multiples of 4 rows (6 + 6 + 4, ...
    // register tiles). Tiles that do divide (28x28: 4 equal tiles) go whole to each thread:
    // a channel split there packed every tile on both threads and read the whole input on
    // each, and the 1x1 projections after MobileNetV3's squeeze-excitation blocks ran at
    // 0.8x their 1-thread time (the model 5-8 % faster on 2 threads with whole tiles).
    const int ocg = g.OC / g.group;
    const int64_t tiles = (int64_t)g.N * g.group * j.tiles_per_image;
    j.oc_blocks = 1;
    j.oc_block = ocg;
    j.ob_major = false;
    int64_t run = 1;  // tasks per thread
    if (threads > 1 && tiles < 4 * threads && tiles % threads != 0 && ocg >= 8 * threads) {
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
        j.oc_block = ((ocg + threads - 1) / threads + kPackRows - 1) / kPackRows * kPackRows;  // whole packed groups
#else
        j.oc_block = ((ocg + threads - 1) / threads + 3) / 4 * 4;
#endif
#if SDK_FEATURE_X86
        // A plane read in place (x86_pw_plane: no tile is packed, so more blocks repack
        // nothing): ~4 blocks per thread while each keeps 2^17 multiply-adds. Each thread
        // still runs its own contiguous share first; a worker that comes late (preempted, or
        // waking) then leaves the caller only its unclaimed blocks, not half the layer
        // (squeezenet1_1's classifier, 512 -> 1000 on 13x13: two 1 ms blocks, which the caller
        // ran both of in every one of 30 runs at load 4).
        if (j.x86 && plan.x86_pw_plane && !plan.x86_pw_pack) {
            const int blk = ((ocg + 4 * threads - 1) / (4 * threads) + 3) / 4 * 4;
            if ((int64_t)blk * (g.C / g.group) * tile >= (1 << 17)) j.oc_block = blk;
        }
#endif
        j.oc_blocks = (ocg + j.oc_block - 1) / j.oc_block;
        j.ob_major = true;
        run = tiles;
    } else if (threads > 1 && tiles < 4 * threads && tiles % threads == 0) {
        run = tiles / threads;  // few rows (6 + 2 per thread would waste the tile): whole tiles each
    }
    const int64_t tasks = tiles * j.oc_blocks;
    const int64_t per_task = (int64_t)j.oc_block * (g.C / g.group) * g.KH * g.KW * tile;  // multiply-adds
    int64_t grain = per_task > 0 ? (1 << 17) / per_task : 1;
    if (grain < run) grain = run;
    // Many tiles (56x56 and larger): one contiguous run of pixel tiles per thread, not the
    // pool's ~4 dynamic chunks each. Consecutive pixel-split layers then read mostly what
    // the same core wrote (measured 4-5% faster over MobileNetV2's convs on 2 threads).
    // floor(tasks / threads): n >= 2 * grain, or parallel_for would run it all inline.
    if (threads > 1 && !j.ob_major && grain < tasks / threads) grain = tasks / threads;
    parallel_for(pool, tasks, grain < 1 ? 1 : grain, gemm_conv_tiles, &j);
}

}  // namespace ref
}  // namespace sdk
