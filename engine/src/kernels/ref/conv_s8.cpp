// Int8 Conv: per-channel symmetric weights, asymmetric int8 activations, int32 bias.
//
// Depthwise (one input channel per output channel): direct loops with the input zero
// point subtracted per tap. Everything else: per (batch, group, tile of output pixels)
// an im2col of the tile into [pixels][kp] (padding taps hold the input zero point, which
// the folded bias cancels), then the int8 GEMM core (s8::gemm_kernel(): ref, NEON, SDOT
// or AVX2, all bit-exact). Threads take tiles round-robin, each with its own scratch.
#include <string.h>

#include "kernels/acc_s8.h"
#include "kernels/gemm_s8.h"
#include "kernels/ops_s8.h"
#include "kernels/ref/conv.h"
#if SDK_FEATURE_X86
#include "kernels/x86/conv_s8.h"
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include "kernels/neon/conv_s8.h"
#endif

namespace sdk {
namespace {

constexpr int kMaxSlots = 8;
constexpr int kMaxK = 65536;

struct ConvS8Data {
    ConvGeom g;
    bool depthwise;
    int32_t x_zp, out_zp, act_min, act_max;
    int32_t kg, kp, tile;
    const int8_t* w;     // dw: the raw [C][KH*KW] weights; else packed [OC][kp]
    int32_t* bias;       // [OC]: dw raw bias (0 if none); else folded
    int32_t* mult;       // [OC]
    int32_t* shift;      // [OC]
    s8::GemmKernel kernel;
    s8::RequantRow requant;
    void (*dw_range)(void*, int64_t, int64_t);
#if SDK_FEATURE_X86
    // AVX2 paths (kernels/x86/conv_s8.h), chosen with the AVX2 GEMM: pixel-lane GEMM
    // (pl: an s8::PlKind, 0 = off) and 3x3 depthwise planes (dw3)
    int pl;
    bool pointwise;
    bool pl_cols;        // im2col straight into panels from a padded copy of the tile's input rows
    int32_t Wp, pl_rows;  // (s8::pl_im2col): its row width, the most rows a tile spans
    s8::PlGemm plg;
    s8::Dw3x3 dw3;
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    s8::NeonDw3x3 dw3n;  // NEON 3x3 and 5x5 depthwise planes (kernels/neon/conv_s8.h)
    bool neon_cols;      // the NEON im2col (with the SIMD GEMM; the ref tier keeps the scalar one)
    int64_t pad_bytes;   // its padded copy of a tile's input rows, after the columns in a slot (0: none)
    int64_t col_bytes;   // the columns' bytes at the start of a slot
    bool neon_pl;        // pixel-lane GEMM (s8::gemm_pl_neon) on pairs of taps
    bool wino;           // 3x3 stride 1 by integer Winograd F(2x2, 3x3) (kernels/neon/conv_s8_wino.cpp)
    s8::NeonWino wn;
#endif
};

struct Job {
    const ConvS8Data* d;
    const int8_t* x;
    int8_t* y;
    int8_t* scratch;
    int64_t slot_bytes;
    int32_t slots, tiles, pixels;
    int32_t tile;            // output pixels per tile (<= d.tile)
    int32_t msplit, mchunk;  // output channels of one job split over threads when jobs are few
    int64_t pl_bytes;        // x86 pixel-lane path: panel bytes at the start of a slot (then im2col rows)
    const RunContext* ctx;
};

void im2col(const ConvS8Data& d, const int8_t* x, int n, int grp, int p0, int p1, int8_t* out) {
    const ConvGeom& g = d.g;
    const int cg = g.C / g.group;
    if (g.KH == 1 && g.KW == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 && g.pb == 0 && g.pr == 0) {
        // pointwise: a transpose of [cg][pixels] into [pixels][kp], read along pixels
        const int8_t* xg = x + ((int64_t)n * g.C + (int64_t)grp * cg) * g.H * g.W;
        for (int p = p0; p < p1; ++p) memset(out + (int64_t)(p - p0) * d.kp + cg, 0, (size_t)(d.kp - cg));
        for (int c = 0; c < cg; ++c) {
            const int8_t* src = xg + (int64_t)c * g.H * g.W;
            for (int p = p0; p < p1; ++p) out[(int64_t)(p - p0) * d.kp + c] = src[p];
        }
        return;
    }
    for (int p = p0; p < p1; ++p) {
        const int oh = p / g.OW, ow = p % g.OW;
        int8_t* dst = out + (int64_t)(p - p0) * d.kp;
        int k = 0;
        for (int c = grp * cg; c < (grp + 1) * cg; ++c) {
            const int8_t* xc = x + ((int64_t)n * g.C + c) * g.H * g.W;
            for (int kh = 0; kh < g.KH; ++kh) {
                const int ih = oh * g.sh - g.pt + kh * g.dh;
                const bool row_in = ih >= 0 && ih < g.H;
                for (int kw = 0; kw < g.KW; ++kw) {
                    const int iw = ow * g.sw - g.pl + kw * g.dw;
                    dst[k++] = row_in && iw >= 0 && iw < g.W ? xc[(int64_t)ih * g.W + iw] : (int8_t)d.x_zp;
                }
            }
        }
        memset(dst + k, 0, (size_t)(d.kp - k));
    }
}

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
// Width of the padded rows: every column an output reads.
inline int32_t padded_width(const ConvGeom& g) { return (g.OW - 1) * g.sw + (g.KW - 1) * g.dw + 1; }

// im2col() on NEON (kernels/neon/conv_s8.cpp): with padding, the tile's input rows are first
// copied to pad (rows of padded_width, the zero point around them) so that every tap reads
// inside its source; then 8 taps x 8 pixels at a time, transposed.
void im2col_neon_tile(const ConvS8Data& d, const int8_t* x, int n, int grp, int p0, int p1, int8_t* out,
                      int8_t* pad, int32_t xs) {
    const ConvGeom& g = d.g;
    const int cg = g.C / g.group;
    const int8_t* xg = x + ((int64_t)n * g.C + (int64_t)grp * cg) * g.H * g.W;
    const int oh_a = p0 / g.OW;
    s8::NeonIm2col q{xg, (int64_t)g.H * g.W, (int64_t)cg * g.H * g.W, g.W, g.KH, g.KW, g.dh, g.dw, g.sw, d.kg, d.kp, xs};
    int32_t rs = g.W, r0 = 0;  // pixel offsets: (oh - r0) * sh * rs + ow * sw
    if (d.pad_bytes) {
        const int32_t wp = padded_width(g);
        const int rows = ((p1 - 1) / g.OW - oh_a) * g.sh + (g.KH - 1) * g.dh + 1;
        const int ia = oh_a * g.sh - g.pt;
        const int lead = g.pl < wp ? g.pl : wp;
        const int ncopy = g.W < wp - lead ? g.W : wp - lead;
        for (int c = 0; c < cg; ++c)  // (stores past the last row: pad_bytes' 16 bytes of slack)
            s8::pad_plane_neon(pad + (int64_t)c * rows * wp, xg + (int64_t)c * g.H * g.W, g.W, g.H, ia, rows, wp, lead,
                               ncopy, (int8_t)d.x_zp);
        q.src = pad;
        q.plane = (int64_t)rows * wp;
        q.limit = q.plane * cg + 16;  // (the slot's slack after the copy)
        q.rs = rs = wp;
        r0 = oh_a;
    }
    int32_t pix[256];  // tile <= 256
    // (oh, ow) stepped, not divided per pixel: ARMv7 has no divide instruction (a call, ~60
    // instructions a pixel: 1.8 M on squeezenet1_1)
    int32_t oh = oh_a, ow = p0 - oh_a * g.OW;
    for (int i = 0; i < p1 - p0; ++i) {
        pix[i] = (oh - r0) * g.sh * rs + ow * g.sw;
        if (++ow == g.OW) ow = 0, ++oh;
    }
    s8::im2col_neon(q, pix, p1 - p0, out);
}
#endif

#if SDK_FEATURE_X86
// im2col of output pixels [p0, p1) into K-major rows [kg][p1 - p0] (the pixel-lane GEMM's
// input before packing); padding taps hold the input zero point.
void im2col_kmajor(const ConvS8Data& d, const int8_t* x, int n, int grp, int p0, int p1, int8_t* out) {
    const ConvGeom& g = d.g;
    const int cg = g.C / g.group;
    const int np = p1 - p0;
    int k = 0;
    for (int c = grp * cg; c < (grp + 1) * cg; ++c) {
        const int8_t* xc = x + ((int64_t)n * g.C + c) * g.H * g.W;
        for (int kh = 0; kh < g.KH; ++kh) {
            for (int kw = 0; kw < g.KW; ++kw, ++k) {
                int8_t* dst = out + (int64_t)k * np;
                int p = p0;
                while (p < p1) {  // one output row at a time
                    const int oh = p / g.OW, ow0 = p % g.OW;
                    const int end = p1 - p < g.OW - ow0 ? p1 : p + (g.OW - ow0);
                    const int ih = oh * g.sh - g.pt + kh * g.dh;
                    if (ih < 0 || ih >= g.H) {
                        memset(dst + (p - p0), d.x_zp, (size_t)(end - p));
                    } else {
                        // columns [lo, hi) of this run read inside the row; zp on either side
                        const int off = kw * g.dw - g.pl;  // iw = ow * sw + off
                        const int oend = ow0 + (end - p);
                        int lo = off >= 0 ? 0 : (-off + g.sw - 1) / g.sw;
                        int hi = g.W - off <= 0 ? 0 : (g.W - off + g.sw - 1) / g.sw;
                        lo = lo < ow0 ? ow0 : (lo > oend ? oend : lo);
                        hi = hi > oend ? oend : (hi < lo ? lo : hi);
                        int8_t* drow = dst + (p - p0) - ow0;  // indexed by ow
                        if (lo > ow0) memset(drow + ow0, d.x_zp, (size_t)(lo - ow0));
                        const int8_t* src = xc + (int64_t)ih * g.W + off;
                        if (g.sw == 1) {
                            if (hi > lo) memcpy(drow + lo, src + lo, (size_t)(hi - lo));
                        } else {
                            int ow = lo;
                            if (g.sw == 2)  // (this im2col serves the AVX2 path only)
                                ow += s8::gather_s2_avx2(src + 2 * lo, hi - lo, xc + (int64_t)g.H * g.W, drow + lo);
                            for (; ow < hi; ++ow) drow[ow] = src[ow * g.sw];
                        }
                        if (oend > hi) memset(drow + hi, d.x_zp, (size_t)(oend - hi));
                    }
                    p = end;
                }
            }
        }
    }
}
#endif

#if SDK_FEATURE_X86
// A slot: the tile's panels, then its K-major im2col rows, or (pl_cols) its padded input rows
// between two guards of s8::kPlColsGuard bytes.
size_t pl_slot_bytes(const ConvS8Data& d) {
    size_t b = s8::pl_panel_bytes(d.plg.kg, d.tile);
    if (d.pl_cols)
        b += (size_t)(d.g.C / d.g.group) * d.pl_rows * d.Wp + 2 * s8::kPlColsGuard;
    else if (!d.pointwise)
        b += (size_t)d.kg * d.tile;
    return (b + 63) / 64 * 64;
}

// Threads take tiles round-robin, and a layer's last tile is often short (784 pixels in
// tiles of 256: one thread 512, the other 272): smaller tiles of whole panels (at most
// d.tile) whose round-robin shares are most even, the fewest tiles among equals.
void balance_tiles(Job& j, const ConvS8Data& d, int32_t slots) {
    int32_t best_tile = j.tile, best_load = 0x7fffffff;
    const int32_t k0 = (j.pixels + slots * d.tile - 1) / (slots * d.tile);
    for (int32_t k = k0; k < k0 + 4; ++k) {
        const int32_t per = (j.pixels + slots * k - 1) / (slots * k);
        int32_t t = (per + s8::kPlNR - 1) / s8::kPlNR * s8::kPlNR;
        if (t > d.tile) t = d.tile;
        int32_t load = 0;  // slot 0's pixels: tiles 0, slots, 2 * slots, ... (the most)
        for (int32_t p0 = 0; p0 < j.pixels; p0 += t * slots) load += j.pixels - p0 < t ? j.pixels - p0 : t;
        if (load < best_load) best_load = load, best_tile = t;
    }
    j.tile = best_tile;
    j.tiles = (j.pixels + best_tile - 1) / best_tile;
}

// pl_cols: the input rows that output pixels [p0, p1) read, for each channel of group grp, into
// pad (rows of d.Wp, the zero point around the image); returns the first padded row (output
// row oh reads padded rows from oh * sh - that row on).
int32_t pad_tile_rows(const ConvS8Data& d, const int8_t* x, int n, int grp, int p0, int p1, int8_t* pad) {
    const ConvGeom& g = d.g;
    const int cg = g.C / g.group;
    const int32_t oh_a = p0 / g.OW, oh_b = (p1 - 1) / g.OW;
    const int32_t r0 = oh_a * g.sh, rows = (oh_b - oh_a) * g.sh + (g.KH - 1) * g.dh + 1;
    const int32_t lead = g.pl < d.Wp ? g.pl : d.Wp;
    const int32_t ncopy = g.W < d.Wp - lead ? g.W : d.Wp - lead;
    const int8_t* xg = x + ((int64_t)n * g.C + (int64_t)grp * cg) * g.H * g.W;
    for (int c = 0; c < cg; ++c) {
        int8_t* dst = pad + (int64_t)c * rows * d.Wp;
        for (int32_t r = 0; r < rows; ++r, dst += d.Wp) {
            const int32_t ih = r0 + r - g.pt;
            if (ih < 0 || ih >= g.H) {
                memset(dst, d.x_zp, (size_t)d.Wp);
                continue;
            }
            memset(dst, d.x_zp, (size_t)lead);
            memcpy(dst + lead, xg + ((int64_t)c * g.H + ih) * g.W, (size_t)ncopy);
            memset(dst + lead + ncopy, d.x_zp, (size_t)(d.Wp - lead - ncopy));
        }
    }
    return r0;
}
#endif

void gemm_slot(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const ConvS8Data& d = *j.d;
    const ConvGeom& g = d.g;
    const int ocg = g.OC / g.group;
    const int64_t items = (int64_t)g.N * g.group * j.tiles * j.msplit;
    for (int64_t s = begin; s < end; ++s) {
        int8_t* cols = j.scratch + s * j.slot_bytes;
        int64_t have = -1;  // the job whose im2col this slot holds
        for (int64_t it = s; it < items; it += j.slots) {
            const int64_t t = it / j.msplit;
            const int part = (int)(it % j.msplit);
            const int mb = part * j.mchunk, me = mb + j.mchunk < ocg ? mb + j.mchunk : ocg;
            if (mb >= me) continue;
            const int tile = (int)(t % j.tiles);
            const int grp = (int)(t / j.tiles % g.group);
            const int n = (int)(t / j.tiles / g.group);
            const int p0 = tile * j.tile;
            const int p1 = p0 + j.tile < j.pixels ? p0 + j.tile : j.pixels;
            const int m0 = grp * ocg;
#if SDK_FEATURE_X86
            if (d.pl) {
                void* panels = cols;
                if (t != have) {
                    if (d.pointwise) {
                        const int8_t* xg = j.x + ((int64_t)n * g.C + (int64_t)grp * (g.C / g.group)) * g.H * g.W;
                        s8::pl_pack(d.pl, xg + p0, (int64_t)g.H * g.W, d.kg, p1 - p0, panels);
                    } else if (d.pl_cols) {
                        int8_t* pad = cols + j.pl_bytes + s8::kPlColsGuard;
                        const int32_t r0 = pad_tile_rows(d, j.x, n, grp, p0, p1, pad);
                        const int32_t rows = ((p1 - 1) / g.OW - p0 / g.OW) * g.sh + (g.KH - 1) * g.dh + 1;
                        const s8::PlCols q{pad,  (int64_t)rows * d.Wp, d.Wp, g.OW, g.KH, g.KW, g.sh, g.sw,
                                           g.dh, g.dw, d.kg, r0};
                        s8::pl_im2col(d.pl, q, p0, p1 - p0, panels);
                    } else {
                        int8_t* rows = cols + j.pl_bytes;
                        im2col_kmajor(d, j.x, n, grp, p0, p1, rows);
                        s8::pl_pack(d.pl, rows, p1 - p0, d.kg, p1 - p0, panels);
                    }
                }
                have = t;
                s8::PlGemm G = d.plg;
                G.w += (int64_t)m0 * G.kg;
                G.bias += m0;
                G.mult += m0;
                G.shift += m0;
                s8::pl_gemm(d.pl, G, panels, p1 - p0, mb, me, 
                                  j.y + ((int64_t)n * g.OC + m0) * j.pixels + p0, j.pixels);
                continue;
            }
#endif
            if (t != have) {
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
                if (d.neon_cols)
                    im2col_neon_tile(d, j.x, n, grp, p0, p1, cols, cols + d.col_bytes,
                                     d.neon_pl ? s8::pl_row_bytes(p1 - p0) : 0);
                else
#endif
                    im2col(d, j.x, n, grp, p0, p1, cols);
            }
            have = t;
            s8::Gemm G;
            G.M = ocg;
            G.N = p1 - p0;
            G.kp = d.kp;
            G.w = d.w + (int64_t)m0 * d.kp;
            G.x = cols;
            G.bias = d.bias + m0;
            G.mult = d.mult + m0;
            G.shift = d.shift + m0;
            G.out_zp = d.out_zp;
            G.act_min = d.act_min;
            G.act_max = d.act_max;
            G.y = j.y + ((int64_t)n * g.OC + m0) * j.pixels + p0;
            G.ys_m = j.pixels;
            G.ys_n = 1;
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
            if (d.neon_pl) {
                s8::gemm_pl_neon(G, mb, me, s8::pl_row_bytes(G.N));
                continue;
            }
#endif
            d.kernel(G, mb, me, 0, G.N);
        }
    }
}

// GCC/Clang vector extensions: SIMD (SSE/NEON) even in -Os builds, scalar elsewhere; 16-byte
// vectors only (a 32-byte vector type without AVX is split through the stack by GCC at -Os).
typedef int32_t v4i __attribute__((vector_size(16)));
typedef int16_t v8s __attribute__((vector_size(16)));
typedef int8_t v4c __attribute__((vector_size(4)));
typedef int8_t v8c __attribute__((vector_size(8)));
typedef int8_t v16c __attribute__((vector_size(16)));

__attribute__((always_inline)) inline v8s load8(const int8_t* p) {
    v8c c;
    memcpy(&c, p, sizeof c);
    return __builtin_convertvector(c, v8s);
}

constexpr int kDwChunk = 256;  // output columns accumulated at once (int32 on the stack)

// One output row chunk [ow0, ow1) of a depthwise plane: per tap, a contiguous run of
// columns multiply-accumulates (x - zp) * w; padding taps are skipped (they are real 0).
constexpr int kDwMaxKW = 32;
constexpr int kDwMaxKH = 32;

// Valid output columns [lo[kw], hi[kw]) per kernel column: independent of the row.
inline void dw_col_ranges(const ConvGeom& g, int32_t* lo, int32_t* hi) {
    for (int kw = 0; kw < g.KW && kw < kDwMaxKW; ++kw) {
        const int off = kw * g.dw - g.pl;  // iw = ow * sw + off
        lo[kw] = off >= 0 ? 0 : (-off + g.sw - 1) / g.sw;
        hi[kw] = g.W - off <= 0 ? 0 : (g.W - off + g.sw - 1) / g.sw;
    }
}

// Interior output columns [ilo, ihi): every kernel column reads inside the input row.
// For stride 2 a block of 8 (4) outputs loads 16 (8) contiguous bytes, which must stay in
// the row too: blocks of 8 end by ihi8, blocks of 4 by ihi4 (both <= ihi).
struct DwInterior {
    int32_t lo, hi8, hi4;
};

inline DwInterior dw_interior(const ConvGeom& g, const int32_t* col_lo, const int32_t* col_hi) {
    int32_t lo = 0, hi = g.OW;
    for (int kw = 0; kw < g.KW; ++kw) {
        if (col_lo[kw] > lo) lo = col_lo[kw];
        if (col_hi[kw] < hi) hi = col_hi[kw];
    }
    if (hi < lo) hi = lo;
    DwInterior r = {lo, hi, hi};
    if (g.sw == 2) {
        const int off_max = (g.KW - 1) * g.dw - g.pl;
        auto bound = [&](int bytes, int block) {  // 2 * ow + off_max + bytes - 1 <= W - 1
            const int room = g.W - bytes - off_max;
            if (room < 0) return lo;
            const int32_t end = room / 2 + block;
            return end < hi ? (end > lo ? end : lo) : hi;
        };
        r.hi8 = bound(16, 8);
        r.hi4 = bound(8, 4);
    } else if (g.sw != 1) {
        r.hi8 = r.hi4 = lo;
    }
    return r;
}

// Depthwise output row chunk [ow0, ow1) into acc (bias included).
// Interior blocks of 8 (stride 1 or 2) accumulate every tap in two int32x4 registers (one
// pass over acc instead of one per tap, like the fp32 rows); borders and tails scalar.
// |x - zp| <= 255 and |w| <= 127: each product fits int16 (one multiply per 8 lanes).
template <int KWC, int SWC>  // compile-time kernel width / stride (0: from g)
__attribute__((always_inline)) inline void dw_row(const ConvS8Data& d, const int8_t* xc, const int8_t* wc, int oh,
                                                  int ow0, int ow1, int32_t* acc, int32_t bias, const int32_t* col_lo,
                                                  const int32_t* col_hi, const DwInterior& in) {
    const ConvGeom& g = d.g;
    const int KW = KWC ? KWC : g.KW, sw = SWC ? SWC : g.sw;
    const int16_t z = (int16_t)d.x_zp;
    const v8s zp8 = {z, z, z, z, z, z, z, z};
    const int8_t* xr[kDwMaxKH];
    const int8_t* wr[kDwMaxKH];
    int nr = 0;
    for (int kh = 0; kh < g.KH; ++kh) {
        const int ih = oh * g.sh - g.pt + kh * g.dh;
        if (ih < 0 || ih >= g.H) continue;
        xr[nr] = xc + (int64_t)ih * g.W;
        wr[nr++] = wc + kh * KW;
    }
    auto scalar = [&](int ow) {
        int32_t a = bias;
        for (int t = 0; t < nr; ++t)
            for (int kw = 0; kw < KW; ++kw)
                if (ow >= col_lo[kw] && ow < col_hi[kw])
                    a += ((int32_t)xr[t][ow * sw + kw * g.dw - g.pl] - d.x_zp) * wr[t][kw];
        acc[ow - ow0] = a;
    };
    const int lo = in.lo > ow0 ? (in.lo < ow1 ? in.lo : ow1) : ow0;
    const int hi8 = in.hi8 < ow1 ? in.hi8 : ow1, hi4 = in.hi4 < ow1 ? in.hi4 : ow1;
    int ow = ow0;
    for (; ow < lo; ++ow) scalar(ow);
    for (; ow + 8 <= hi8; ow += 8) {
        v4i a0 = {bias, bias, bias, bias}, a1 = a0;
        for (int t = 0; t < nr; ++t) {
            for (int kw = 0; kw < KW; ++kw) {
                const int16_t wv = wr[t][kw];
                const v8s w8 = {wv, wv, wv, wv, wv, wv, wv, wv};
                const int8_t* src = xr[t] + ow * sw + kw * g.dw - g.pl;
                v8s xv;
                if (sw == 1) {
                    xv = load8(src);
                } else {
                    v16c c;
                    memcpy(&c, src, sizeof c);
                    xv = __builtin_convertvector(__builtin_shufflevector(c, c, 0, 2, 4, 6, 8, 10, 12, 14), v8s);
                }
                const v8s p = (xv - zp8) * w8;
                a0 += __builtin_convertvector(__builtin_shufflevector(p, p, 0, 1, 2, 3), v4i);
                a1 += __builtin_convertvector(__builtin_shufflevector(p, p, 4, 5, 6, 7), v4i);
            }
        }
        memcpy(acc + (ow - ow0), &a0, sizeof a0);
        memcpy(acc + (ow - ow0) + 4, &a1, sizeof a1);
    }
    for (; ow + 4 <= hi4; ow += 4) {  // narrow planes (7x7, 14x14) live mostly here
        v4i a0 = {bias, bias, bias, bias};
        for (int t = 0; t < nr; ++t) {
            for (int kw = 0; kw < KW; ++kw) {
                const int32_t wv = wr[t][kw];
                const int8_t* src = xr[t] + ow * sw + kw * g.dw - g.pl;
                v4c c4;
                if (sw == 1) {
                    memcpy(&c4, src, sizeof c4);
                } else {
                    v8c c;
                    memcpy(&c, src, sizeof c);
                    c4 = __builtin_shufflevector(c, c, 0, 2, 4, 6);
                }
                const v4i xv = __builtin_convertvector(c4, v4i) - d.x_zp;
                a0 += xv * wv;
            }
        }
        memcpy(acc + (ow - ow0), &a0, sizeof a0);
    }
    for (; ow < ow1; ++ow) scalar(ow);
}

template <int KWC, int SWC>
__attribute__((always_inline)) inline void depthwise_planes(const Job& j, int64_t begin, int64_t end) {
    const ConvS8Data& d = *j.d;
    const ConvGeom& g = d.g;
    const int taps = g.KH * g.KW;
    int32_t acc[kDwChunk];
    int32_t col_lo[kDwMaxKW], col_hi[kDwMaxKW];
    dw_col_ranges(g, col_lo, col_hi);
    const DwInterior in = dw_interior(g, col_lo, col_hi);
    for (int64_t t = begin; t < end; ++t) {
        const int c = (int)(t % g.C);
        const int8_t* xc = j.x + t * g.H * g.W;
        const int8_t* wc = d.w + (int64_t)c * taps;
        int8_t* yc = j.y + t * g.OH * g.OW;
        const int32_t bias = d.bias[c], mult = d.mult[c], shift = d.shift[c];
        for (int oh = 0; oh < g.OH; ++oh) {
            for (int ow0 = 0; ow0 < g.OW; ow0 += kDwChunk) {
                const int ow1 = ow0 + kDwChunk < g.OW ? ow0 + kDwChunk : g.OW;
                dw_row<KWC, SWC>(d, xc, wc, oh, ow0, ow1, acc, bias, col_lo, col_hi, in);
                d.requant(acc, ow1 - ow0, mult, shift, d.out_zp, d.act_min, d.act_max, yc + (int64_t)oh * g.OW + ow0);
            }
        }
    }
}


// 3x3 (undilated taps) with stride 1 or 2, the MobileNet shapes, get their taps unrolled.
__attribute__((always_inline)) inline void depthwise_dispatch(const Job& j, int64_t begin, int64_t end) {
    const ConvGeom& g = j.d->g;
    if (g.KW == 3 && g.sw == 1)
        depthwise_planes<3, 1>(j, begin, end);
    else if (g.KW == 3 && g.sw == 2)
        depthwise_planes<3, 2>(j, begin, end);
    else
        depthwise_planes<0, 0>(j, begin, end);
}

void depthwise_range(void* arg, int64_t begin, int64_t end) {
    depthwise_dispatch(*static_cast<const Job*>(arg), begin, end);
}

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
// 3x3 or 5x5, stride 1 or 2: whole planes through the padded-plane NEON kernel (this thread's
// scratch holds the padded plane).
void depthwise3x3_range_neon(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const ConvS8Data& d = *j.d;
    const ConvGeom& g = d.g;
    int8_t* buf = static_cast<int8_t*>(j.ctx->thread_scratch());
    for (int64_t t = begin; t < end; ++t) {
        const int c = (int)(t % g.C);
        s8::dw3x3_plane_neon(d.dw3n, j.x + t * g.H * g.W, d.w + (int64_t)c * g.KH * g.KW, d.bias[c], d.mult[c], d.shift[c], buf,
                             j.y + t * g.OH * g.OW);
    }
}
#endif

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
struct WinoJob {
    const ConvS8Data* d;
    const int8_t* x;
    int8_t* y;
    int8_t* P;  // the padded input
    const RunContext* ctx;
};

void wino_group_range(void* arg, int64_t begin, int64_t end) {
    const WinoJob& j = *static_cast<const WinoJob*>(arg);
    s8::wino_s8_groups(j.d->wn, j.P, begin, end, j.ctx->thread_scratch(), j.y);
}

// The integer Winograd path for a 3x3 stride-1 Conv with the plain NEON GEMM: channels
// enough that the transforms pay (16 output, 8 input), every output channel exact
// (wino_s8_pick: F(4x4, 3x3) or F(2x2, 3x3), whichever does fewer GEMM products).
bool wino_prepare(PrepareContext& ctx, ConvS8Data* d, const int8_t* w, const int32_t* b) {
    const ConvGeom& g = d->g;
    if (d->kernel != s8::gemm_neon || g.KH != 3 || g.KW != 3 || g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1 ||
        g.group != 1 || g.C < 8 || g.OC < 16)
        return false;
    for (int oc = 0; oc < g.OC; ++oc)  // the folded bias, as gemm_pack computes it
        d->bias[oc] = (b ? b[oc] : 0) - d->x_zp * s8::sum_s8(w + (int64_t)oc * d->kg, d->kg);
    s8::NeonWino& p = d->wn;
    p = s8::NeonWino{g.C, g.OC, g.H, g.W, g.OH, g.OW, g.pt, g.pl, d->x_zp, d->out_zp, d->act_min, d->act_max,
                     nullptr, d->bias, d->mult, d->shift, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    if (!s8::wino_s8_pick(p, w)) return false;
    int16_t* U = static_cast<int16_t*>(ctx.alloc(s8::wino_s8_weight_bytes(p)));
    if (!U) return false;
    s8::wino_s8_weights(p, w, U);
    p.U = U;
    ctx.request_scratch(s8::wino_s8_plane_bytes(p));
    ctx.request_thread_scratch(s8::wino_s8_thread_bytes(p));
    return true;
}
#endif

#if SDK_FEATURE_X86
// The same loop compiled for AVX2 (pmovsx widening, pmulld, 3-operand forms instead of
// SSE2 unpack sequences): integer arithmetic, so bit-exact with depthwise_range by
// construction. Chosen with the AVX2 int8 GEMM (SDK_INT8_GEMM=ref selects the portable one).
__attribute__((target("avx2"))) void depthwise_range_avx2(void* arg, int64_t begin, int64_t end) {
    depthwise_dispatch(*static_cast<const Job*>(arg), begin, end);
}

// 1x1, stride 1, no padding: a per-channel affine map of whole planes.
void depthwise1x1_range_avx2(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const ConvS8Data& d = *j.d;
    const ConvGeom& g = d.g;
    const int64_t n = (int64_t)g.H * g.W;
    for (int64_t t = begin; t < end; ++t) {
        const int c = (int)(t % g.C);
        s8::dw1x1_plane_avx2(j.x + t * n, n, d.w[c], d.bias[c], d.mult[c], d.shift[c], d.x_zp, d.out_zp, d.act_min,
                             d.act_max, j.y + t * n);
    }
}

// 3x3 or 5x5, stride 1 or 2: whole planes through the padded-plane AVX2/VNNI kernel (this
// thread's scratch holds the padded plane; its borders are filled once per call).
void depthwise3x3_range_avx2(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const ConvS8Data& d = *j.d;
    const ConvGeom& g = d.g;
    int8_t* buf = static_cast<int8_t*>(j.ctx->thread_scratch());
    s8::dw3x3_init_scratch(d.dw3, buf);
    for (int64_t t = begin; t < end; ++t) {
        const int c = (int)(t % g.C);
        s8::dw3x3_plane_avx2(d.dw3, j.x + t * g.H * g.W, d.w + (int64_t)c * g.KH * g.KW, d.bias[c], d.mult[c], d.shift[c], buf,
                             j.y + t * g.OH * g.OW);
    }
}
#endif

}  // namespace

sdk_status conv_s8_prepare(PrepareContext& ctx, const ConvGeom& g) {
    const Tensor* x = ctx.input(0);
    const Tensor* w = ctx.input(1);
    const Tensor* b = ctx.input(2);
    const Tensor* y = ctx.output(0);
    float xs = 1.0f, ys = 1.0f;
    int32_t xz = 0, yz = 0;
    sdk_status st = s8::tensor_qp(ctx, x, &xs, &xz);
    if (st == SDK_OK) st = s8::tensor_qp(ctx, y, &ys, &yz);
    if (st != SDK_OK) return st;
    if (w->dtype != DType::I8 || !(w->flags & kTensorConstant) || !w->const_data || !w->quant)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "int8 Conv needs constant int8 weights with quantization ('%s')", w->name);
    const QuantParams& wq = *w->quant;
    const bool per_channel = wq.axis == 0 && wq.count == (uint32_t)g.OC;
    if (!per_channel && !(wq.axis == -1 && wq.count == 1))
        return ctx.fail(SDK_ERR_BAD_MODEL, "weights '%s' need per-tensor or per-output-channel (axis 0) quantization",
                        w->name);
    for (uint32_t i = 0; i < wq.count; ++i)
        if (wq.zero_points[i] != 0 || !(wq.scales[i] > 0.0f))
            return ctx.fail(SDK_ERR_BAD_MODEL, "weights '%s' must be symmetric (zero point 0, positive scale)",
                            w->name);
    if (b && (b->dtype != DType::I32 || !(b->flags & kTensorConstant) || !b->const_data))
        return ctx.fail(SDK_ERR_UNSUPPORTED, "int8 Conv needs a constant int32 bias ('%s')", b->name);

    ConvS8Data* d = static_cast<ConvS8Data*>(ctx.alloc(sizeof(ConvS8Data)));
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    ctx.set_op_data(d);
    d->g = g;
    d->x_zp = xz;
    d->out_zp = yz;
    if ((st = s8::read_clamp(ctx, ys, yz, &d->act_min, &d->act_max)) != SDK_OK) return st;
    d->bias = static_cast<int32_t*>(ctx.alloc(sizeof(int32_t) * g.OC));
    d->mult = static_cast<int32_t*>(ctx.alloc(sizeof(int32_t) * g.OC));
    d->shift = static_cast<int32_t*>(ctx.alloc(sizeof(int32_t) * g.OC));
    if (!d->bias || !d->mult || !d->shift) return SDK_ERR_OUT_OF_MEMORY;
    for (int oc = 0; oc < g.OC; ++oc) {
        const s8::Mult m = s8::conv_multiplier(xs, wq.scales[per_channel ? oc : 0], ys);
        d->mult[oc] = m.mult;
        d->shift[oc] = m.shift;
    }
    const int8_t* wdata = static_cast<const int8_t*>(w->const_data);
    const int32_t* bdata = b ? static_cast<const int32_t*>(b->const_data) : nullptr;
    d->depthwise = g.group == g.C && g.OC == g.C && g.KW <= kDwMaxKW && g.KH <= kDwMaxKH;
    const int64_t kg = (int64_t)(g.C / g.group) * g.KH * g.KW;
    if (kg > kMaxK)  // 255 * 127 * K must stay inside the int32 accumulator
        return ctx.fail(SDK_ERR_UNSUPPORTED, "int8 Conv reduces over %lld values; at most %d fit int32 accumulators",
                        (long long)kg, kMaxK);
    bool minus_128 = false;
    if ((st = s8::check_accumulators(ctx, w, wdata, bdata, g.OC, kg, &minus_128)) != SDK_OK) return st;
    d->kg = (int32_t)kg;
    if (d->depthwise) {
#if SDK_FEATURE_X86
        d->pl = s8::kPlNone;
#endif
        d->requant = s8::requant_row_kernel();
        d->dw_range = depthwise_range;
#if SDK_FEATURE_X86
        if (s8::gemm_kernel() == s8::gemm_avx2) {
            d->dw_range = depthwise_range_avx2;
            if ((g.KH == 3 || g.KH == 5) && g.KW == g.KH && g.dh == g.dw && g.dh <= 4 && g.sh == g.sw &&
                (g.sh == 1 || g.sh == 2)) {
                d->dw3 = s8::Dw3x3{g.H,  g.W,  g.OH, g.OW,       g.sh,       g.pt,
                                   g.pl, xz,   yz,   d->act_min, d->act_max,
                                   g.dh == 1 && s8::dw3x3_use_vnni(s8::pl_kind(), g.OW, g.sh), g.KH, g.dh};
                d->dw_range = depthwise3x3_range_avx2;
                ctx.request_thread_scratch(s8::dw3x3_scratch_bytes(d->dw3));
            }
            if (g.KH == 1 && g.KW == 1 && g.sh == 1 && g.sw == 1 && !(g.pt | g.pl | g.pb | g.pr))
                d->dw_range = depthwise1x1_range_avx2;
        }
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)  // ---- NEON 3x3 depthwise (kernels/neon/conv_s8.cpp)
        if (s8::gemm_kernel() != s8::gemm_ref && (g.KH == 3 || g.KH == 5) && g.KW == g.KH && g.dh == 1 &&
            g.dw == 1 && g.sh == g.sw && (g.sh == 1 || g.sh == 2) &&
            s8::dw3x3_neon_weights_ok(wdata, (int64_t)g.C * g.KH * g.KW)) {
            d->dw3n = s8::NeonDw3x3{g.H,  g.W,        g.OH,       g.OW,  g.sh, g.pt, g.pl, xz,
                                    yz,   d->act_min, d->act_max, false, g.KH};
#if SDK_FEATURE_DOTPROD
            d->dw3n.dot = s8::gemm_kernel() == s8::gemm_neon_dotprod;  // the CPU has SDOT (and not forced off)
#endif
            d->dw_range = depthwise3x3_range_neon;
            ctx.request_thread_scratch(s8::dw3x3_neon_scratch_bytes(d->dw3n));
        }
#endif
        d->w = wdata;
        for (int oc = 0; oc < g.OC; ++oc) d->bias[oc] = bdata ? bdata[oc] : 0;
        return SDK_OK;
    }
    d->kernel = s8::kernel_for_weights(s8::gemm_kernel(), minus_128);
    const int32_t pixels = g.OH * g.OW;
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    d->wino = wino_prepare(ctx, d, wdata, bdata);
    if (d->wino) {
        d->kp = s8::round_up_k(d->kg);
        d->tile = pixels;  // (run()'s work estimates)
        return SDK_OK;
    }
#endif
#if SDK_FEATURE_X86
    d->pl = d->kernel == s8::gemm_avx2 ? s8::pl_kind() : s8::kPlNone;
    d->pointwise = g.KH == 1 && g.KW == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 && g.pb == 0 &&
                   g.pr == 0;
    if (d->pl) {
        // pixel-lane GEMM: weights as K groups; a slot holds the tile's panels (and the
        // K-major im2col rows unless pointwise). Tiles of whole panels, panels ~<= 32 KB with
        // VNNI (L1), 128 KB on the AVX2 pairs (L2): their k loop is twice as long per byte, and
        // with 32 KB a 3x3 conv over 64 channels had 16-pixel tiles, each copying its padded
        // input rows and walking the weights again (resnet18 int8 0.87-0.90x, densenet121
        // 0.85-0.89x, the zoo's other CNNs 0.92-1.0x their time with 32 KB, interleaved, on an
        // AVX2-only AMD EPYC; the same bits).
        const int32_t kgr = s8::pl_groups(d->pl, d->kg);
        const int32_t budget = (d->pl == s8::kPlAvx2 ? 128 : 32) * 1024;
        d->kp = s8::round_up_k(d->kg);  // (run()'s work estimates)
        int32_t* wpl = static_cast<int32_t*>(ctx.alloc(sizeof(int32_t) * (size_t)g.OC * kgr));
        if (!wpl) return SDK_ERR_OUT_OF_MEMORY;
        for (int oc = 0; oc < g.OC; ++oc)  // the folded bias, as gemm_pack computes it
            d->bias[oc] = (bdata ? bdata[oc] : 0) - xz * s8::sum_s8(wdata + (int64_t)oc * d->kg, d->kg);
        s8::pl_pack_weights(d->pl, wdata, g.OC, d->kg, d->bias, wpl, d->bias);
        d->plg = s8::PlGemm{kgr, wpl, d->bias, d->mult, d->shift, d->out_zp, d->act_min, d->act_max};
        int32_t tile = (budget / (kgr * 4 * s8::kPlNR)) * s8::kPlNR;
        tile = tile < s8::kPlNR ? s8::kPlNR : (tile > 256 ? 256 : tile);
        if (d->pl == s8::kPlVnni && s8::pl_zmm()) {  // the ZMM rows: whole steps of 4 panels (64 pixels)
            constexpr int32_t step = 4 * s8::kPlNR;
            tile = tile < step ? step : (tile + step - 1) / step * step;
            if (tile > 256) tile = 256;
        }
        d->tile = tile > pixels ? pixels : tile;
        // one-pass im2col from a padded copy of a tile's input rows (strides 1 and 2 along
        // rows): every tap in bounds
        d->pl_cols = !d->pointwise && (g.sw == 1 || g.sw == 2);
        int32_t spans = (d->tile + g.OW - 2) / g.OW + 1;  // output rows a tile spans at most
        if (spans > g.OH) spans = g.OH;
        d->pl_rows = (spans - 1) * g.sh + (g.KH - 1) * g.dh + 1;
        d->Wp = (g.OW - 1) * g.sw + (g.KW - 1) * g.dw + 1;
        ctx.request_scratch((size_t)kMaxSlots * pl_slot_bytes(*d));
        return SDK_OK;
    }
#endif
    d->kp = s8::round_up_k(d->kg);
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    // the pixel-lane GEMM with the plain NEON tier; K in steps of 8 and a last 4 (resnet18's stem:
    // 147 -> 148, not 160)
    d->neon_pl = d->kernel == s8::gemm_neon;
    if (d->neon_pl) d->kp = (d->kg + 3) / 4 * 4;
#endif
    int8_t* packed = static_cast<int8_t*>(ctx.alloc((size_t)g.OC * d->kp));
    if (!packed) return SDK_ERR_OUT_OF_MEMORY;
    s8::gemm_pack(wdata, g.OC, d->kg, d->kp, bdata, xz, packed, d->bias);
    d->w = packed;
    int32_t tile = (32 * 1024 / d->kp) & ~3;
    tile = tile < 8 ? 8 : (tile > 256 ? 256 : tile);
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    constexpr int32_t px = s8::kPlPixels;  // (tiles of whole GEMM tiles)
    if (d->neon_pl) tile = tile < px ? px : tile / px * px;
#endif
    if (tile > pixels) tile = pixels;
    d->tile = tile;
    size_t slot = (size_t)tile * d->kp;
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    if (d->neon_pl) slot = (size_t)(d->kp / 2) * s8::pl_row_bytes(tile);
    d->col_bytes = (int64_t)slot;
    d->neon_cols = d->kernel != s8::gemm_ref;
    d->pad_bytes = 0;
    if (d->neon_cols && (g.pt || g.pl || g.pb || g.pr)) {  // rows a tile spans at most, padded
        int32_t spans = (tile + g.OW - 2) / g.OW + 1;
        if (spans > g.OH) spans = g.OH;
        const int64_t rows = (int64_t)(spans - 1) * g.sh + (int64_t)(g.KH - 1) * g.dh + 1;
        d->pad_bytes = ((int64_t)(g.C / g.group) * rows * padded_width(g) + 16 + 63) / 64 * 64;
        slot += (size_t)d->pad_bytes;
    }
#endif
    ctx.request_scratch((size_t)kMaxSlots * slot);
    return SDK_OK;
}

sdk_status conv_s8_run(const RunContext& ctx) {
    const ConvS8Data& d = *static_cast<const ConvS8Data*>(ctx.op_data);
    const ConvGeom& g = d.g;
    Job j;
    j.d = &d;
    j.x = ctx.in<int8_t>(0);
    j.y = ctx.out<int8_t>(0);
    j.pixels = g.OH * g.OW;
    j.ctx = &ctx;
    if (d.depthwise) {
        const int64_t planes = (int64_t)g.N * g.C;
        const int64_t work = (int64_t)j.pixels * g.KH * g.KW;
        parallel_for(ctx.pool, planes, work > 4096 ? 1 : 4096 / work + 1, d.dw_range, &j);
        return SDK_OK;
    }
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    if (d.wino) {
        WinoJob wj{&d, j.x, j.y, static_cast<int8_t*>(ctx.scratch), &ctx};
        for (int n = 0; n < g.N; ++n, wj.x += (int64_t)g.C * g.H * g.W, wj.y += (int64_t)g.OC * j.pixels) {
            s8::wino_s8_pad(d.wn, wj.x, wj.P);  // (one pass over the input: not worth a hand-off)
            parallel_for(ctx.pool, s8::wino_s8_group_count(d.wn), 1, wino_group_range, &wj);
        }
        return SDK_OK;
    }
#endif
    j.scratch = static_cast<int8_t*>(ctx.scratch);
    j.slot_bytes = (int64_t)d.tile * d.kp;
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    j.slot_bytes = d.col_bytes + d.pad_bytes;
#endif
#if SDK_FEATURE_X86
    if (d.pl) {
        j.pl_bytes = (int64_t)s8::pl_panel_bytes(d.plg.kg, d.tile);
        j.slot_bytes = (int64_t)pl_slot_bytes(d);
    }
#endif
    j.tile = d.tile;
    j.tiles = (j.pixels + d.tile - 1) / d.tile;
    int32_t slots = pool_threads(ctx.pool);
    if (slots < 1) slots = 1;
    if (slots > kMaxSlots) slots = kMaxSlots;
    // a hand-off to another thread pays only for enough work (~64K multiply-adds each)
    const int64_t macs = (int64_t)g.N * g.OC * j.pixels * d.kp;
    if (macs / 65536 < slots) slots = macs / 65536 < 1 ? 1 : (int32_t)(macs / 65536);
#if SDK_FEATURE_X86
    if (d.pl && slots > 1 && g.N * g.group == 1 && j.tiles >= slots) balance_tiles(j, d, slots);
#endif
    const int64_t jobs = (int64_t)g.N * g.group * j.tiles;
    // Fewer jobs than threads (small late-layer images): split the output channels too,
    // in chunks of whole 4-row tiles; each part redoes its (cheap) im2col.
    const int ocg = g.OC / g.group;
    j.msplit = 1;
    if (jobs < slots) {
        j.msplit = (int32_t)((slots + jobs - 1) / jobs);
        const int32_t max_split = (ocg + 15) / 16;  // at least 16 channels per part
        if (j.msplit > max_split) j.msplit = max_split < 1 ? 1 : max_split;
    }
    j.mchunk = ((ocg + j.msplit - 1) / j.msplit + 3) / 4 * 4;
    const int64_t items = jobs * j.msplit;
    if (slots > items) slots = (int32_t)items;
    j.slots = slots;
    parallel_for(ctx.pool, slots, 1, gemm_slot, &j);
    return SDK_OK;
}

}  // namespace sdk
