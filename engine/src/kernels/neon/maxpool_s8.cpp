// NEON int8 MaxPool plane (ARMv7 and AArch64): stride 1 or 2 along W, any kernel,
// padding, dilation and stride along H. Per output row, in chunks of output columns: the
// maximum over the window's input rows first (16 columns a step), into a row buffer that
// holds -128 where the window leaves the input (the ref's padding never wins a max), then
// the maximum along the buffer's kernel columns, 16 outputs a step (stride 2: VLD2
// de-interleaves two neighbouring taps). Integer max: the ref's results exactly.
#include "kernels/pool_s8.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>
#include <string.h>

#include "kernels/neon/pool_neon.h"

namespace sdk {
namespace s8 {
namespace {

constexpr int kBuf = 1024;  // row buffer bytes (a chunk of output columns and its window)
constexpr int kSlack = 48;  // past a chunk's columns: a last block's loads (VLD2: 32 bytes) stay inside

// out[i] = max_kw b[i * sw + kw * dw] for i in [0, n): blocks of 16 (the last one overlapping
// the one before when n > 16, else through a temporary).
void row_max(const PoolGeom& g, const int8_t* b, int n, int8_t* out) {
    for (int i = 0; i < n; i += 16) {
        const int o = n - i >= 16 || n < 16 ? i : n - 16;
        const int8_t* s = b + o * g.sw;
        int8x16_t m = vdupq_n_s8(-128);
        int kw = 0;
        if (g.sw == 2 && g.dw == 1)  // taps kw and kw + 1: even and odd lanes of one load
            for (; kw + 2 <= g.KW; kw += 2) {
                const int8x16x2_t v = vld2q_s8(s + kw);
                m = vmaxq_s8(m, vmaxq_s8(v.val[0], v.val[1]));
            }
        for (; kw < g.KW; ++kw) m = vmaxq_s8(m, g.sw == 1 ? vld1q_s8(s + kw * g.dw) : vld2q_s8(s + kw * g.dw).val[0]);
        if (n - o >= 16) {
            vst1q_s8(out + o, m);
        } else {
            int8_t t[16];
            vst1q_s8(t, m);
            memcpy(out + o, t, (size_t)(n - o));
        }
    }
}

// 3-wide windows at stride 2, the n (>= 8) outputs whose windows lie inside the input
// rows r[0..nr) (s: output 0's first column): per block of 16 (8 when n < 16; the last
// block overlapping the one before) one VLD2 per row (even columns: taps 0 of the block's
// windows, odd: taps 1) and the column after the block (lane 0 of a dup load): the rows'
// maximum, then taps 2 = the even columns one lane on (EXT). No row buffer, no call: the
// squeezenet pools' per-row cost was ~60 instructions of buffer set-up for 13-55 outputs.
void rows3s2(const int8_t* const* r, int nr, int64_t s, int n, int8_t* out) {
    if (n >= 16) {
        for (int i = 0;; i += 16) {
            const int o = n - i >= 16 ? i : n - 16;
            const int64_t c = s + 2 * o;
            int8x16x2_t v = vld2q_s8(r[0] + c);
            int8x16_t e = v.val[0], d = v.val[1], l = vld1q_dup_s8(r[0] + c + 32);
            for (int t = 1; t < nr; ++t) {
                v = vld2q_s8(r[t] + c);
                e = vmaxq_s8(e, v.val[0]);
                d = vmaxq_s8(d, v.val[1]);
                l = vmaxq_s8(l, vld1q_dup_s8(r[t] + c + 32));
            }
            vst1q_s8(out + o, vmaxq_s8(vmaxq_s8(e, d), vextq_s8(e, l, 1)));
            if (o + 16 >= n) return;
        }
    }
    for (int i = 0;; i += 8) {
        const int o = n - i >= 8 ? i : n - 8;
        const int64_t c = s + 2 * o;
        int8x8x2_t v = vld2_s8(r[0] + c);
        int8x8_t e = v.val[0], d = v.val[1], l = vld1_dup_s8(r[0] + c + 16);
        for (int t = 1; t < nr; ++t) {
            v = vld2_s8(r[t] + c);
            e = vmax_s8(e, v.val[0]);
            d = vmax_s8(d, v.val[1]);
            l = vmax_s8(l, vld1_dup_s8(r[t] + c + 16));
        }
        vst1_s8(out + o, vmax_s8(vmax_s8(e, d), vext_s8(e, l, 1)));
        if (o + 8 >= n) return;
    }
}

// The ref formula for output columns [a, b) of one row.
void cols_ref(const PoolGeom& g, const int8_t* const* rows, int nr, int a, int b, int8_t* o) {
    for (int ow = a; ow < b; ++ow) {
        int32_t m = -128;
        for (int t = 0; t < nr; ++t)
            for (int kw = 0; kw < g.KW; ++kw) {
                const int iw = ow * g.sw - g.pl + kw * g.dw;
                if (iw >= 0 && iw < g.W && rows[t][iw] > m) m = rows[t][iw];
            }
        o[ow] = (int8_t)m;
    }
}

}  // namespace

void maxpool_plane_s8_neon(const PoolGeom& g, const int8_t* x, int8_t* y) {
    int32_t lo = 0, end = 0;  // 3-wide windows at stride 2 (SqueezeNet's, ResNet's): rows3s2 inside
    if (g.KW == 3 && g.sw == 2 && g.dw == 1) neon_pool::interior(g, &lo, &end, true);
    if (end - lo >= 8) {
        const int8_t* rows[neon_pool::kMaxRows];
        for (int oh = 0; oh < g.OH; ++oh) {
            const int nr = neon_pool::window_rows(g, x, oh, rows);
            int8_t* o = y + (int64_t)oh * g.OW;
            if (nr == 0) {
                memset(o, -128, (size_t)g.OW);
                continue;
            }
            cols_ref(g, rows, nr, 0, lo, o);
            rows3s2(rows, nr, 2 * lo - g.pl, end - lo, o + lo);
            cols_ref(g, rows, nr, end, g.OW, o);
        }
        return;
    }
    alignas(16) int8_t buf[kBuf + kSlack];
    const int ext = (g.KW - 1) * g.dw + 1;  // input columns of one window
    const int chunk = (kBuf - ext) / g.sw + 1;  // output columns per chunk (<= 0: the scalar formula)
    const int8_t* rows[neon_pool::kMaxRows];
    for (int oh = 0; oh < g.OH; ++oh) {
        const int nr = neon_pool::window_rows(g, x, oh, rows);
        int8_t* o = y + (int64_t)oh * g.OW;
        if (chunk <= 0 || nr == 0) {  // the ref formula
            cols_ref(g, rows, nr, 0, g.OW, o);
            continue;
        }
        for (int ow0 = 0; ow0 < g.OW; ow0 += chunk) {
            const int n = g.OW - ow0 < chunk ? g.OW - ow0 : chunk;
            const int c0 = ow0 * g.sw - g.pl, len = (n - 1) * g.sw + ext;  // buffer j holds input column c0 + j
            const int a = c0 < 0 ? -c0 : 0, e = g.W - c0 < len ? g.W - c0 : len;  // [a, e): inside the row
            memset(buf, -128, (size_t)(a < len ? a : len));
            if (e > a) {
                for (int j = a; j < e; j += 16) {
                    const int jj = e - j >= 16 || e - a < 16 ? j : e - 16;  // the last block overlaps
                    if (e - jj < 16) {  // fewer than 16 inside columns in all: one at a time
                        for (int k = jj; k < e; ++k) {
                            int8_t m = rows[0][c0 + k];
                            for (int t = 1; t < nr; ++t) m = rows[t][c0 + k] > m ? rows[t][c0 + k] : m;
                            buf[k] = m;
                        }
                        break;
                    }
                    int8x16_t m = vld1q_s8(rows[0] + c0 + jj);
                    for (int t = 1; t < nr; ++t) m = vmaxq_s8(m, vld1q_s8(rows[t] + c0 + jj));
                    vst1q_s8(buf + jj, m);
                }
            }
            const int f = e > a ? e : a;
            memset(buf + f, -128, (size_t)(len + kSlack - f));
            row_max(g, buf, n, o + ow0);
        }
    }
}

}  // namespace s8
}  // namespace sdk
#endif
