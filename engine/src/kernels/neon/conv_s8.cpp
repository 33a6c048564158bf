// NEON int8 depthwise 3x3 (ARMv7 and AArch64), see kernels/neon/conv_s8.h.
//
// The plane is copied into the thread's scratch with its padding filled with the input
// zero point, wide enough that every block of 8 outputs reads whole vectors. With the
// zero point folded into the bias (bias - x_zp * sum(w)), a block is 9 products of raw
// int8: SMULL + SMLAL sum two taps in int16 (|x * w| <= 128 * 127, so a pair fits), SADDW
// widens each pair into the two int32x4 accumulators. Stride 2 de-interleaves the even
// and odd columns with VLD2. The requantization is neon_requant4 (bit-exact with mbqm).
#include "kernels/neon/conv_s8.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>
#include <string.h>

#include "kernels/neon_s8.h"
#include "kernels/unroll.h"

namespace sdk {
namespace s8 {
namespace {

struct Layout {
    int32_t pw, ph;  // bytes per padded row, padded rows
};

inline Layout layout(const NeonDw3x3& p) {
    const int32_t nv = (p.OW + 7) / 8;
    // + 8: the SDOT rows' whole 16-byte loads from the last block's first column
    // (and the 5x5 rows' last taps: 4 bytes on)
    return Layout{p.stride * 8 * nv + 8, (p.OH - 1) * p.stride + p.k};
}

// Adds the int16 pair sum s into the accumulators (lanes 0-3, 4-7).
__attribute__((always_inline)) inline void widen_add(int32x4_t& a0, int32x4_t& a1, int16x8_t s) {
    a0 = vaddw_s16(a0, vget_low_s16(s));
    a1 = vaddw_s16(a1, vget_high_s16(s));
}

template <int K, int S>
void plane(const NeonDw3x3& p, const Layout& l, const int8_t* P, const int8_t* wk, int32_t bias, int32_t mult,
           int32_t shift, int8_t* y) {
    int8x8_t w[K * K];
    SDK_UNROLL for (int t = 0; t < K * K; ++t) w[t] = vdup_n_s8(wk[t]);
    const int32x4_t vb = vdupq_n_s32(bias);
    for (int oh = 0; oh < p.OH; ++oh) {
        const int8_t* r0 = P + (int64_t)oh * S * l.pw;
        int8_t* o = y + (int64_t)oh * p.OW;
        for (int c = 0; c < p.OW; c += 8) {
            int32x4_t a0 = vb, a1 = vb;
            int16x8_t s = vdupq_n_s16(0);  // taps in pairs: SMULL, then SMLAL and widen
            SDK_UNROLL for (int kh = 0; kh < K; ++kh) {
                const int8_t* r = r0 + kh * l.pw + c * S;
                SDK_UNROLL for (int kw = 0; kw < K; ++kw) {
                    int8x8_t x;  // columns c*S + kw of 8 outputs (stride 2: even or odd of a VLD2)
                    if (S == 1)
                        x = vld1_s8(r + kw);
                    else
                        x = kw & 1 ? vld2_s8(r + kw - 1).val[1] : vld2_s8(r + kw).val[0];
                    const int t = kh * K + kw;
                    if (t % 2 == 0) {
                        s = vmull_s8(x, w[t]);
                    } else {
                        s = vmlal_s8(s, x, w[t]);
                        widen_add(a0, a1, s);
                    }
                }
            }
            if (K * K % 2) widen_add(a0, a1, s);
            neon_store8_requant(o + c, p.OW - c, a0, a1, mult, shift, p.out_zp, p.act_min, p.act_max);
        }
    }
}

// 5x5: the kernel rows in a loop (code size), the 5 taps of a row unrolled, weights loaded
// with each use (LD1R); per row two SMULL/SMLAL pairs and a single.
template <int S>
void plane5(const NeonDw3x3& p, const Layout& l, const int8_t* P, const int8_t* wk, int32_t bias, int32_t mult,
            int32_t shift, int8_t* y) {
    const int32x4_t vb = vdupq_n_s32(bias);
    for (int oh = 0; oh < p.OH; ++oh) {
        const int8_t* r0 = P + (int64_t)oh * S * l.pw;
        int8_t* o = y + (int64_t)oh * p.OW;
        for (int c = 0; c < p.OW; c += 8) {
            int32x4_t a0 = vb, a1 = vb;
            for (int kh = 0; kh < 5; ++kh) {
                const int8_t* r = r0 + kh * l.pw + c * S;
                const int8_t* w = wk + kh * 5;
                int8x8_t x[5];
                if (S == 1) {
                    SDK_UNROLL for (int kw = 0; kw < 5; ++kw) x[kw] = vld1_s8(r + kw);
                } else {
                    const int8x8x2_t v0 = vld2_s8(r), v1 = vld2_s8(r + 2);
                    x[0] = v0.val[0];
                    x[1] = v0.val[1];
                    x[2] = v1.val[0];
                    x[3] = v1.val[1];
                    x[4] = vld2_s8(r + 4).val[0];
                }
                widen_add(a0, a1, vmlal_s8(vmull_s8(x[0], vld1_dup_s8(w)), x[1], vld1_dup_s8(w + 1)));
                widen_add(a0, a1, vmlal_s8(vmull_s8(x[2], vld1_dup_s8(w + 2)), x[3], vld1_dup_s8(w + 3)));
                widen_add(a0, a1, vmull_s8(x[4], vld1_dup_s8(w + 4)));
            }
            neon_store8_requant(o + c, p.OW - c, a0, a1, mult, shift, p.out_zp, p.act_min, p.act_max);
        }
    }
}

// Rows r (8 taps x 8 pixels) to columns (8 pixels x 8 taps), in place: TRN on bytes,
// halfwords, words.
__attribute__((always_inline)) inline void transpose8x8(int8x8_t* r) {
    const int8x8x2_t a0 = vtrn_s8(r[0], r[1]), a1 = vtrn_s8(r[2], r[3]), a2 = vtrn_s8(r[4], r[5]),
                     a3 = vtrn_s8(r[6], r[7]);
    const int16x4x2_t b0 = vtrn_s16(vreinterpret_s16_s8(a0.val[0]), vreinterpret_s16_s8(a1.val[0]));
    const int16x4x2_t b1 = vtrn_s16(vreinterpret_s16_s8(a0.val[1]), vreinterpret_s16_s8(a1.val[1]));
    const int16x4x2_t b2 = vtrn_s16(vreinterpret_s16_s8(a2.val[0]), vreinterpret_s16_s8(a3.val[0]));
    const int16x4x2_t b3 = vtrn_s16(vreinterpret_s16_s8(a2.val[1]), vreinterpret_s16_s8(a3.val[1]));
    const int32x2x2_t c0 = vtrn_s32(vreinterpret_s32_s16(b0.val[0]), vreinterpret_s32_s16(b2.val[0]));
    const int32x2x2_t c1 = vtrn_s32(vreinterpret_s32_s16(b1.val[0]), vreinterpret_s32_s16(b3.val[0]));
    const int32x2x2_t c2 = vtrn_s32(vreinterpret_s32_s16(b0.val[1]), vreinterpret_s32_s16(b2.val[1]));
    const int32x2x2_t c3 = vtrn_s32(vreinterpret_s32_s16(b1.val[1]), vreinterpret_s32_s16(b3.val[1]));
    r[0] = vreinterpret_s8_s32(c0.val[0]);
    r[1] = vreinterpret_s8_s32(c1.val[0]);
    r[2] = vreinterpret_s8_s32(c2.val[0]);
    r[3] = vreinterpret_s8_s32(c3.val[0]);
    r[4] = vreinterpret_s8_s32(c0.val[1]);
    r[5] = vreinterpret_s8_s32(c1.val[1]);
    r[6] = vreinterpret_s8_s32(c2.val[1]);
    r[7] = vreinterpret_s8_s32(c3.val[1]);
}

// Tap k (of a chunk, offsets offs) of a run's 8 pixels from src: 0 past the real taps [0, kr);
// whole vectors at offsets <= safe, else the run's nv bytes one at a time (the source's end).
inline int8x8_t tap8(const int8_t* src, const ptrdiff_t* offs, int32_t k, int32_t kr, ptrdiff_t safe, int32_t even,
                     int32_t nv) {
    if (k >= kr) return vdup_n_s8(0);
    const int8_t* s = src + offs[k];
    if (offs[k] > safe) {
        int8_t g[8] = {0};
        for (int i = 0; i < nv; ++i) g[i] = s[i * even];
        return vld1_s8(g);
    }
    return even == 2 ? vld2_s8(s).val[0] : vld1_s8(s);
}

}  // namespace


// Per run of pixels (up to 8 evenly spaced by 1 or 2 in one row, else 1) and tap, one load of
// the run's 8 bytes; the lanes past the run are loaded too (not stored in the pixel-major
// layout; in the pair layout the next run overwrites them, or they lie past np). The taps'
// source offsets from a run's first pixel are the same for every run: tabulated once per call,
// in chunks of kChunk taps (stepping through (c, kh, kw) per tap and run cost more than the
// loads). Offsets grow with the tap, so a run whose chunk's last real tap is at or below `safe`
// loads whole vectors without checks. Pixel-major ([np][kp]): 8 taps x 8 pixels transposed
// (TRN); pairs (q.xs > 0): two taps' 8 pixels interleaved by one ST2.
void im2col_neon(const NeonIm2col& q, const int32_t* pix, int32_t np, int8_t* out) {
    constexpr int32_t kChunk = 256;
    ptrdiff_t offs[kChunk];  // (pointer-sized: ARMv7's 64-bit compares cost more than the loads)
    const int64_t step_kw = q.dw, step_kh = (int64_t)q.dh * q.rs - (int64_t)(q.KW - 1) * q.dw,
                  step_c = q.plane - (int64_t)(q.KH - 1) * q.dh * q.rs - (int64_t)(q.KW - 1) * q.dw;
    const int8_t* const src0 = q.src;  // (locals: the stores below may not alias them)
    const int64_t limit = q.limit;
    const int32_t kp = q.kp, kg = q.kg, KH = q.KH, KW = q.KW, xs = q.xs;
    ptrdiff_t off = 0;
    int32_t kh = 0, kw = 0;
    for (int32_t k0 = 0; k0 < kp; k0 += kChunk) {
        const int32_t kn = kp - k0 < kChunk ? kp - k0 : kChunk;  // taps of the chunk
        const int32_t kr = (kg < k0 + kn ? kg : k0 + kn) - k0;    // real ones: [0, kr)
        for (int32_t k = 0; k < kr; ++k) {
            offs[k] = off;
            if (++kw < KW) {
                off += (ptrdiff_t)step_kw;
            } else if (kw = 0, ++kh < KH) {
                off += (ptrdiff_t)step_kh;
            } else {
                kh = 0;
                off += (ptrdiff_t)step_c;
            }
        }
        for (int32_t i0 = 0, nv; i0 < np; i0 += nv) {
            const int32_t even = np - i0 > 1 ? pix[i0 + 1] - pix[i0] : 1;
            nv = 1;
            if (even == 1 || even == 2)
                while (nv < 8 && i0 + nv < np && pix[i0 + nv] - pix[i0 + nv - 1] == even) ++nv;
            const ptrdiff_t safe = (ptrdiff_t)(limit - (even == 2 ? 16 : 8) - pix[i0]);  // taps at off <= safe: whole vectors
            const int8_t* src = src0 + pix[i0];
            const bool fast = kr > 0 && offs[kr - 1] <= safe;
            int32_t k = 0;
            if (xs) {
                int8_t* dst = out + (int64_t)(k0 / 2) * xs + 2 * i0;
                const int32_t kr2 = fast ? kr & ~1 : 0;  // whole pairs of real taps, no checks
                if (even == 2) {
                    for (; k < kr2; k += 2, dst += xs) {
                        const int8x8x2_t t = {{vld2_s8(src + offs[k]).val[0], vld2_s8(src + offs[k + 1]).val[0]}};
                        vst2_s8(dst, t);  // (a local: clang's vst2_s8 is a macro)
                    }
                } else {
                    for (; k < kr2; k += 2, dst += xs) {
                        const int8x8x2_t t = {{vld1_s8(src + offs[k]), vld1_s8(src + offs[k + 1])}};
                        vst2_s8(dst, t);
                    }
                }
                for (; k < kn; k += 2, dst += xs) {  // the source's last bytes, an odd tap, zeros
                    int8x8x2_t v;
                    for (int t = 0; t < 2; ++t) v.val[t] = tap8(src, offs, k + t, kr, safe, even, nv);
                    vst2_s8(dst, v);
                }
                continue;
            }
            int8_t* dst = out + (int64_t)i0 * kp + k0;
            for (; k < kn; k += 8) {
                int8x8_t r[8];
                if (fast && k + 8 <= kr) {  // 8 real taps, no per-tap checks
                    SDK_UNROLL for (int t = 0; t < 8; ++t)
                        r[t] = even == 2 ? vld2_s8(src + offs[k + t]).val[0] : vld1_s8(src + offs[k + t]);
                } else {
                    alignas(8) int8_t rows[64];  // (a loop, not unrolled: code size)
                    for (int t = 0; t < 8; ++t) vst1_s8(rows + 8 * t, tap8(src, offs, k + t, kr, safe, even, nv));
                    SDK_UNROLL for (int t = 0; t < 8; ++t) r[t] = vld1_s8(rows + 8 * t);
                }
                transpose8x8(r);
                for (int i = 0; i < nv; ++i) vst1_s8(dst + (int64_t)i * kp + k, r[i]);
            }
        }
    }
}

void pad_plane_neon(int8_t* d, const int8_t* x, int32_t W, int32_t H, int32_t ih0, int32_t rows, int32_t wp,
                    int32_t lead, int32_t n, int8_t zp) {
    const int8x16_t z = vdupq_n_s8(zp);
    for (int32_t r = 0; r < rows; ++r, d += wp) {  // (a row's stores past wp: the next row's bytes, rewritten next)
        const int32_t ih = ih0 + r;
        if (ih < 0 || ih >= H || n <= 0) {
            for (int32_t j = 0; j < wp; j += 16) vst1q_s8(d + j, z);
            continue;
        }
        for (int32_t j = 0; j < lead; j += 16) vst1q_s8(d + j, z);
        const int8_t* s = x + (int64_t)ih * W;
        int8_t* o = d + lead;
        if (n >= 16) {
            int32_t j = 0;
            for (; j + 16 <= n; j += 16) vst1q_s8(o + j, vld1q_s8(s + j));
            if (j < n) vst1q_s8(o + n - 16, vld1q_s8(s + n - 16));  // (overlapping: no read past the row)
        } else {
            if (n & 8) memcpy(o, s, 8), o += 8, s += 8;
            if (n & 4) memcpy(o, s, 4), o += 4, s += 4;
            if (n & 2) memcpy(o, s, 2), o += 2, s += 2;
            if (n & 1) *o = *s;
        }
        for (int32_t j = lead + n; j < wp; j += 16) vst1q_s8(d + j, z);
    }
}

bool dw3x3_neon_weights_ok(const int8_t* w, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
        if (w[i] == -128) return false;
    return true;
}

size_t dw3x3_neon_scratch_bytes(const NeonDw3x3& p) {
    const Layout l = layout(p);
    return (size_t)l.pw * (size_t)l.ph + 16;
}

void dw3x3_plane_neon(const NeonDw3x3& p, const int8_t* x, const int8_t* w9, int32_t bias, int32_t mult,
                      int32_t shift, int8_t* scratch, int8_t* y) {
    const Layout l = layout(p);
    // padded row i holds input row i - pt; the zero point everywhere else
    const int pl = p.pl < l.pw ? p.pl : l.pw;
    const int n = p.W < l.pw - pl ? p.W : l.pw - pl;  // input columns the blocks read
    pad_plane_neon(scratch, x, p.W, p.H, -p.pt, l.ph, l.pw, pl, n, (int8_t)p.x_zp);
    int32_t sum = 0;
    for (int t = 0; t < p.k * p.k; ++t) sum += w9[t];
    bias -= p.x_zp * sum;  // the padded plane holds raw x: fold the zero point in
    if (p.k == 5) {
        if (p.stride == 1)
            plane5<1>(p, l, scratch, w9, bias, mult, shift, y);
        else
            plane5<2>(p, l, scratch, w9, bias, mult, shift, y);
        return;
    }
#if SDK_FEATURE_DOTPROD
    if (p.dot && dw3x3_rows_dotprod(p, l.pw, scratch, w9, bias, mult, shift, y)) return;
#endif
    if (p.stride == 1)
        plane<3, 1>(p, l, scratch, w9, bias, mult, shift, y);
    else
        plane<3, 2>(p, l, scratch, w9, bias, mult, shift, y);
}

}  // namespace s8
}  // namespace sdk
#endif
