// AVX2 int8 conv kernels: the pixel-lane GEMM (pointwise and im2col convs) and the 3x3
// depthwise planes. See kernels/x86/conv_s8.h for the layouts; every function with AVX2
// code carries its own target attribute (the x86 Android ABIs lack AVX2) and is called
// only after s8::cpu_has_avx2().
#include "kernels/x86/conv_s8.h"

#include <stdlib.h>
#include <string.h>

#include "core/status.h"  // str_eq

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include "kernels/unroll.h"  // SDK_HOT_TARGET

#include "kernels/gemm_s8.h"
#include "kernels/x86/requant_s8_avx2.h"

namespace sdk {
namespace s8 {

using avx2::pack16_lanes;
using avx2::Rq;
using avx2::rq8;
using avx2::rq_make;

namespace {

inline int32_t pair16(int32_t lo, int32_t hi) {
    return (int32_t)(((uint32_t)(uint16_t)(int16_t)lo) | ((uint32_t)(uint16_t)(int16_t)hi << 16));
}

}  // namespace

// The ZMM rows for the VNNI kind (SDK_INT8_ZMM=0: the YMM rows, for A/B runs and tests).
bool pl_zmm() {
    static int on = -1;
    if (on < 0) {
        const char* v = getenv("SDK_INT8_ZMM");
        on = !(v && str_eq(v, "0")) && __builtin_cpu_supports("avx512f");
    }
    return on != 0;
}

int pl_kind() {
    if (!cpu_has_avx2()) return kPlNone;
    const char* force = getenv("SDK_INT8_GEMM");
    const bool any = !force || !*force;
    const bool vnni = __builtin_cpu_supports("avx512vnni") != 0 && __builtin_cpu_supports("avx512vl") != 0 &&
                      __builtin_cpu_supports("avx512bw") != 0;  // (masked byte stores for the tails)
    if ((any || str_eq(force, "vnni")) && vnni) return kPlVnni;
    if (any || str_eq(force, "avx2")) return kPlAvx2;
    return kPlNone;
}

void pl_pack_weights(int kind, const int8_t* w, int32_t M, int32_t K, const int32_t* bias_in, int32_t* wout,
                     int32_t* bias_out) {
    const int32_t kg = pl_groups(kind, K);
    for (int32_t m = 0; m < M; ++m) {
        const int8_t* src = w + (int64_t)m * K;
        int32_t* dst = wout + (int64_t)m * kg;
        int32_t sum = 0;
        for (int32_t k = 0; k < K; ++k) sum += src[k];
        bias_out[m] = bias_in[m] - (kind == kPlVnni ? 128 * sum : 0);
        for (int32_t k = 0; k < kg; ++k) {
            if (kind == kPlVnni) {
                uint32_t v = 0;
                for (int i = 0; i < 4; ++i)
                    if (4 * k + i < K) v |= (uint32_t)(uint8_t)src[4 * k + i] << (8 * i);
                dst[k] = (int32_t)v;
            } else {
                dst[k] = pair16(src[2 * k], 2 * k + 1 < K ? src[2 * k + 1] : 0);
            }
        }
    }
}

namespace {

// 16 bytes of row r at pixels [p0, p0 + n) (zeros past n, or for a row past K).
__attribute__((target("avx2"), always_inline)) inline __m128i row16(const int8_t* rows, int64_t stride, int32_t r,
                                                                   int32_t K, int32_t p0, int32_t n) {
    if (r >= K) return _mm_setzero_si128();
    const int8_t* src = rows + (int64_t)r * stride + p0;
    if (n == kPlNR) return _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
    alignas(16) int8_t tmp[16] = {0};
    memcpy(tmp, src, (size_t)n);
    return _mm_load_si128(reinterpret_cast<const __m128i*>(tmp));
}

// One K pair of 16 pixels (rows a, b) as the AVX2 panels hold it: int16 pairs, pixels
// 0-3 | 8-11 in the first 32 bytes, 4-7 | 12-15 in the second.
__attribute__((target("avx2"), always_inline)) inline void emit_pair(int16_t* out, __m128i a, __m128i b) {
    const __m128i i = _mm_unpacklo_epi8(a, b), j = _mm_unpackhi_epi8(a, b);  // pairs of pixels 0-7, 8-15
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_cvtepi8_epi16(_mm_unpacklo_epi64(i, j)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + kPlNR),
                        _mm256_cvtepi8_epi16(_mm_unpackhi_epi64(i, j)));  // pixels 4-7 | 12-15
}

// One K quad of 16 pixels (rows r0-r3, already x + 128) as the VNNI panels hold it.
__attribute__((target("avx2"), always_inline)) inline void emit_quad(uint8_t* out, __m128i r0, __m128i r1,
                                                                    __m128i r2, __m128i r3) {
    const __m128i a = _mm_unpacklo_epi8(r0, r1), b = _mm_unpacklo_epi8(r2, r3);  // pixels 0-7
    const __m128i c = _mm_unpackhi_epi8(r0, r1), d = _mm_unpackhi_epi8(r2, r3);  // pixels 8-15
    const __m128i q0 = _mm_unpacklo_epi16(a, b), q4 = _mm_unpackhi_epi16(a, b);  // quads of pixels 0-3, 4-7
    const __m128i q8 = _mm_unpacklo_epi16(c, d), q12 = _mm_unpackhi_epi16(c, d);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_set_m128i(q8, q0));  // pixels 0-3 | 8-11
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 2 * kPlNR), _mm256_set_m128i(q12, q4));
}

SDK_HOT_TARGET("avx2") void pack_avx2(const int8_t* rows, int64_t stride, int32_t K, int32_t pixels,
                                               int16_t* panels) {
    const int32_t k2 = (K + 1) / 2;
    for (int32_t p0 = 0; p0 < pixels; p0 += kPlNR) {
        const int32_t n = pixels - p0 < kPlNR ? pixels - p0 : kPlNR;
        int16_t* out = panels + (int64_t)(p0 / kPlNR) * k2 * 2 * kPlNR;
        for (int32_t k = 0; k < k2; ++k, out += 2 * kPlNR)
            emit_pair(out, row16(rows, stride, 2 * k, K, p0, n), row16(rows, stride, 2 * k + 1, K, p0, n));
    }
}

SDK_HOT_TARGET("avx2") void pack_vnni(const int8_t* rows, int64_t stride, int32_t K, int32_t pixels,
                                               uint8_t* panels) {
    const int32_t k4 = (K + 3) / 4;
    const __m128i flip = _mm_set1_epi8((char)0x80);  // x + 128 as unsigned bytes
    for (int32_t p0 = 0; p0 < pixels; p0 += kPlNR) {
        const int32_t n = pixels - p0 < kPlNR ? pixels - p0 : kPlNR;
        uint8_t* out = panels + (int64_t)(p0 / kPlNR) * k4 * 4 * kPlNR;
        for (int32_t k = 0; k < k4; ++k, out += 4 * kPlNR)
            emit_quad(out, _mm_xor_si128(row16(rows, stride, 4 * k, K, p0, n), flip),
                      _mm_xor_si128(row16(rows, stride, 4 * k + 1, K, p0, n), flip),
                      _mm_xor_si128(row16(rows, stride, 4 * k + 2, K, p0, n), flip),
                      _mm_xor_si128(row16(rows, stride, 4 * k + 3, K, p0, n), flip));
    }
}

}  // namespace

namespace {

// The 16 pixels of a panel as runs along output rows: run s covers lanes [lane[s], 16) until
// the next run starts (later runs are blended over earlier ones), and lane i of run s reads
// base[s] + sw * i + koff for tap offset koff.
struct PanelRuns {
    int32_t n;
    int64_t base[kPlNR];
    __m128i mask[kPlNR];  // lanes >= lane[s]
};

__attribute__((target("avx2"), always_inline)) inline void panel_runs(const PlCols& q, int32_t p, int32_t end,
                                                                     PanelRuns& r) {
    const __m128i iota = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    r.n = 0;
    for (int32_t lane = 0; p < end;) {
        const int32_t oh = p / q.OW, ow = p % q.OW;
        const int32_t len = end - p < q.OW - ow ? end - p : q.OW - ow;
        r.base[r.n] = (int64_t)(oh * q.sh - q.r0) * q.Wp + (int64_t)(ow - lane) * q.sw;
        r.mask[r.n] = _mm_cmpgt_epi8(iota, _mm_set1_epi8((char)(lane - 1)));
        ++r.n;
        lane += len;
        p += len;
    }
}

// 16 bytes of one tap row for the panel's pixels (stride 2: the even bytes of 32).
template <int SW>
__attribute__((target("avx2"), always_inline)) inline __m128i tap16(const int8_t* src) {
    if (SW == 1) return _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
    const __m256i even = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1, 0, 2, 4, 6, 8, 10,
                                          12, 14, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m256i v = _mm256_shuffle_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src)), even);
    return _mm256_castsi256_si128(_mm256_permute4x64_epi64(v, 0x08));  // qwords 0, 2
}

template <int SW>
__attribute__((target("avx2"), always_inline)) inline __m128i tap_row(const PanelRuns& r, const int8_t* src) {
    __m128i v = tap16<SW>(src + r.base[0]);
    for (int32_t s = 1; s < r.n; ++s) v = _mm_blendv_epi8(v, tap16<SW>(src + r.base[s]), r.mask[s]);
    return v;
}

// Walks K in order: tap offset of row k (channel c, kernel row kh, column kw).
struct TapWalk {
    int32_t c = 0, kh = 0, kw = 0, k = 0;
    __attribute__((always_inline)) inline int64_t next(const PlCols& q) {
        const int64_t off = (int64_t)c * q.plane + (int64_t)kh * q.dh * q.Wp + (int64_t)kw * q.dw;
        if (++kw == q.KW) {
            kw = 0;
            if (++kh == q.KH) kh = 0, ++c;
        }
        ++k;
        return off;
    }
};

template <int SW>
SDK_HOT_TARGET("avx2") void im2col_vnni(const PlCols& q, int32_t p0, int32_t pixels, uint8_t* out) {
    const int32_t k4 = (q.K + 3) / 4;
    const __m128i flip = _mm_set1_epi8((char)0x80);
    PanelRuns r;
    for (int32_t pan = 0; pan * kPlNR < pixels; ++pan) {
        const int32_t p = p0 + pan * kPlNR;
        panel_runs(q, p, p0 + pixels < p + kPlNR ? p0 + pixels : p + kPlNR, r);
        TapWalk t;
        for (int32_t k = 0; k < k4; ++k, out += 4 * kPlNR) {
            __m128i v[4];
            for (int i = 0; i < 4; ++i)
                v[i] = _mm_xor_si128(t.k < q.K ? tap_row<SW>(r, q.src + t.next(q)) : _mm_setzero_si128(), flip);
            emit_quad(out, v[0], v[1], v[2], v[3]);
        }
    }
}

template <int SW>
SDK_HOT_TARGET("avx2") void im2col_pairs(const PlCols& q, int32_t p0, int32_t pixels, int16_t* out) {
    const int32_t k2 = (q.K + 1) / 2;
    PanelRuns r;
    for (int32_t pan = 0; pan * kPlNR < pixels; ++pan) {
        const int32_t p = p0 + pan * kPlNR;
        panel_runs(q, p, p0 + pixels < p + kPlNR ? p0 + pixels : p + kPlNR, r);
        TapWalk t;
        for (int32_t k = 0; k < k2; ++k, out += 2 * kPlNR) {
            const __m128i a = tap_row<SW>(r, q.src + t.next(q));
            const __m128i b = t.k < q.K ? tap_row<SW>(r, q.src + t.next(q)) : _mm_setzero_si128();
            emit_pair(out, a, b);
        }
    }
}

}  // namespace

void pl_im2col(int kind, const PlCols& q, int32_t p0, int32_t pixels, void* panels) {
    if (kind == kPlVnni) {
        if (q.sw == 1)
            im2col_vnni<1>(q, p0, pixels, static_cast<uint8_t*>(panels));
        else
            im2col_vnni<2>(q, p0, pixels, static_cast<uint8_t*>(panels));
    } else {
        if (q.sw == 1)
            im2col_pairs<1>(q, p0, pixels, static_cast<int16_t*>(panels));
        else
            im2col_pairs<2>(q, p0, pixels, static_cast<int16_t*>(panels));
    }
}

void pl_pack(int kind, const int8_t* rows, int64_t row_stride, int32_t K, int32_t pixels, void* panels) {
    if (kind == kPlVnni)
        pack_vnni(rows, row_stride, K, pixels, static_cast<uint8_t*>(panels));
    else
        pack_avx2(rows, row_stride, K, pixels, static_cast<int16_t*>(panels));
}

namespace {

// Accumulators start at the row's bias; the requant constants are made once per row.
__attribute__((target("avx2"), always_inline)) inline void pl_store(const Rq& q, __m256i a0, __m256i a1, int8_t* y,
                                                                   int32_t n) {
    const __m128i r = avx2::pack16_clamp(avx2::rq8v(a0, q), avx2::rq8v(a1, q), q);
    if (n == kPlNR) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(y), r);
    } else {
        alignas(16) int8_t tmp[16];
        _mm_store_si128(reinterpret_cast<__m128i*>(tmp), r);
        memcpy(y, tmp, (size_t)n);
    }
}

// The k loops of a 4-row x 16-pixel tile and of a 1-row one, out of line so that the 8
// accumulators, 2 input vectors and the broadcast weight own the 16 YMM registers
// (inlined into the epilogue loop, GCC spilled an accumulator per iteration). acc: in =
// the rows' biases, out = the sums (row r: acc[2r], acc[2r + 1]). One group of K per
// step: MAC(acc, x, w) is VPMADDWD + VPADDD (pairs) or VPDPBUSD (quads).
#define SDK_PL_TILES(NAME, TARGET, MAC)                                                                               \
    SDK_HOT_TARGET(TARGET) __attribute__((noinline)) void NAME##_tile4(const int32_t* w0, int32_t kg, const int8_t* P,        \
                                                                __m256i* acc) {                                         \
        const int32_t *w1 = w0 + kg, *w2 = w1 + kg, *w3 = w2 + kg;                                                     \
        __m256i c00 = acc[0], c01 = c00, c10 = acc[1], c11 = c10, c20 = acc[2], c21 = c20, c30 = acc[3], c31 = c30;     \
        for (int32_t k = 0; k < kg; ++k, P += 4 * kPlNR) {                                                             \
            const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(P));                               \
            const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(P + 2 * kPlNR));                    \
            __m256i w = _mm256_set1_epi32(w0[k]);                                                                      \
            c00 = MAC(c00, x0, w);                                                                                     \
            c01 = MAC(c01, x1, w);                                                                                     \
            w = _mm256_set1_epi32(w1[k]);                                                                              \
            c10 = MAC(c10, x0, w);                                                                                     \
            c11 = MAC(c11, x1, w);                                                                                     \
            w = _mm256_set1_epi32(w2[k]);                                                                              \
            c20 = MAC(c20, x0, w);                                                                                     \
            c21 = MAC(c21, x1, w);                                                                                     \
            w = _mm256_set1_epi32(w3[k]);                                                                              \
            c30 = MAC(c30, x0, w);                                                                                     \
            c31 = MAC(c31, x1, w);                                                                                     \
        }                                                                                                              \
        acc[0] = c00, acc[1] = c01, acc[2] = c10, acc[3] = c11;                                                        \
        acc[4] = c20, acc[5] = c21, acc[6] = c30, acc[7] = c31;                                                        \
    }                                                                                                                  \
    SDK_HOT_TARGET(TARGET) __attribute__((noinline)) void NAME##_tile1(const int32_t* w0, int32_t kg, const int8_t* P,        \
                                                                __m256i* acc) {                                         \
        __m256i c00 = acc[0], c01 = c00;                                                                               \
        for (int32_t k = 0; k < kg; ++k, P += 4 * kPlNR) {                                                             \
            const __m256i w = _mm256_set1_epi32(w0[k]);                                                                \
            c00 = MAC(c00, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(P)), w);                                \
            c01 = MAC(c01, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(P + 2 * kPlNR)), w);                    \
        }                                                                                                              \
        acc[0] = c00, acc[1] = c01;                                                                                    \
    }

#define SDK_MAC_AVX2(c, x, w) _mm256_add_epi32(c, _mm256_madd_epi16(x, w))
#define SDK_MAC_VNNI(c, x, w) _mm256_dpbusd_epi32(c, x, w)
SDK_PL_TILES(avx2, "avx2", SDK_MAC_AVX2)
SDK_PL_TILES(vnni, "avx2,avx512vnni,avx512vl,avx512bw", SDK_MAC_VNNI)
#undef SDK_MAC_AVX2
#undef SDK_MAC_VNNI
#undef SDK_PL_TILES

// VNNI, rows [m, m + 4 * blocks): the k loop and the epilogue in one function. With
// AVX512VL the compiler has 32 YMM registers, so (unlike the AVX2 tiles) nothing spills
// and the accumulators never go through memory.
SDK_HOT_TARGET("avx2,avx512vnni,avx512vl,avx512bw") void vnni_rows4(const PlGemm& g, const int8_t* panels,
                                                                    int32_t pixels, int32_t m, int32_t blocks,
                                                                    int8_t* y, int64_t ys_m) {
    const int32_t kg = g.kg;
    const int64_t pstride = (int64_t)kg * 4 * kPlNR;
    for (; blocks > 0; --blocks, m += 4) {
        const Rq q0 = rq_make(g.mult[m], g.shift[m], g.out_zp, g.act_min, g.act_max);
        const Rq q1 = rq_make(g.mult[m + 1], g.shift[m + 1], g.out_zp, g.act_min, g.act_max);
        const Rq q2 = rq_make(g.mult[m + 2], g.shift[m + 2], g.out_zp, g.act_min, g.act_max);
        const Rq q3 = rq_make(g.mult[m + 3], g.shift[m + 3], g.out_zp, g.act_min, g.act_max);
        const __m256i b0 = _mm256_set1_epi32(g.bias[m]), b1 = _mm256_set1_epi32(g.bias[m + 1]);
        const __m256i b2 = _mm256_set1_epi32(g.bias[m + 2]), b3 = _mm256_set1_epi32(g.bias[m + 3]);
        const int32_t* w0 = g.w + (int64_t)m * kg;
        const int32_t *w1 = w0 + kg, *w2 = w1 + kg, *w3 = w2 + kg;
        for (int32_t p0 = 0; p0 < pixels; p0 += kPlNR) {
            const int8_t* P = panels + (int64_t)(p0 / kPlNR) * pstride;
            __m256i c00 = b0, c01 = b0, c10 = b1, c11 = b1, c20 = b2, c21 = b2, c30 = b3, c31 = b3;
            for (int32_t k = 0; k < kg; ++k, P += 4 * kPlNR) {
                const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(P));
                const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(P + 2 * kPlNR));
                __m256i w = _mm256_set1_epi32(w0[k]);
                c00 = _mm256_dpbusd_epi32(c00, x0, w);
                c01 = _mm256_dpbusd_epi32(c01, x1, w);
                w = _mm256_set1_epi32(w1[k]);
                c10 = _mm256_dpbusd_epi32(c10, x0, w);
                c11 = _mm256_dpbusd_epi32(c11, x1, w);
                w = _mm256_set1_epi32(w2[k]);
                c20 = _mm256_dpbusd_epi32(c20, x0, w);
                c21 = _mm256_dpbusd_epi32(c21, x1, w);
                w = _mm256_set1_epi32(w3[k]);
                c30 = _mm256_dpbusd_epi32(c30, x0, w);
                c31 = _mm256_dpbusd_epi32(c31, x1, w);
            }
            const int32_t n = pixels - p0 < kPlNR ? pixels - p0 : kPlNR;
            int8_t* yp = y + (int64_t)m * ys_m + p0;
            // tails: one masked store (a memcpy call per row cost more than the row)
            const __mmask16 mask = (__mmask16)((1u << n) - 1);
            _mm_mask_storeu_epi8(yp, mask, avx2::pack16_clamp(avx2::rq8v(c00, q0), avx2::rq8v(c01, q0), q0));
            _mm_mask_storeu_epi8(yp + ys_m, mask, avx2::pack16_clamp(avx2::rq8v(c10, q1), avx2::rq8v(c11, q1), q1));
            _mm_mask_storeu_epi8(yp + 2 * ys_m, mask,
                                 avx2::pack16_clamp(avx2::rq8v(c20, q2), avx2::rq8v(c21, q2), q2));
            _mm_mask_storeu_epi8(yp + 3 * ys_m, mask,
                                 avx2::pack16_clamp(avx2::rq8v(c30, q3), avx2::rq8v(c31, q3), q3));
        }
    }
}

// The same rows on ZMM registers: one 64-byte load holds a K quad of all 16 pixels of a
// panel (the low half is the YMM tiles' x0, the high half x1), so one VPDPBUSD does what
// two did; four panels (64 pixels) per step when there are, so that the 4 weight
// broadcasts feed 16 multiply-adds of 64 bytes (the tile size, conv_s8_prepare, gives the
// ZMM rows tiles of 4 panels). The epilogue splits each accumulator back into the
// YMM halves and requantizes them as above: bit-exact with vnni_rows4.
// (GCC 12 warns about its own AVX-512 intrinsics' undefined merge operands: not ours.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// avx2::rq8v's fast path on 16 lanes at once (the same operations, so the same result):
// half the epilogue's instructions, which is most of the work when K is short.
__attribute__((target("avx2,avx512f"), always_inline)) inline __m512i rq16v(__m512i acc, const Rq& q) {
    const __m512i mult = _mm512_broadcast_i64x4(q.mult), rnd = _mm512_broadcast_i64x4(q.rnd);
    __m512i pe = _mm512_add_epi64(_mm512_mul_epi32(acc, mult), rnd);
    __m512i po = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(acc, 32), mult), rnd);
    pe = _mm512_sll_epi64(pe, q.lsh);
    po = _mm512_sll_epi64(po, q.lsh);
    return _mm512_sra_epi32(_mm512_mask_blend_epi32((__mmask16)0xAAAA, _mm512_srli_epi64(pe, 32), po), q.rsh);
}

__attribute__((target("avx2,avx512f,avx512vnni,avx512vl,avx512bw"), always_inline)) inline __m128i vnni512_rq(
    __m512i c, const Rq& q) {
    if (q.fast) {
        const __m512i v = rq16v(c, q);
        return avx2::pack16_clamp(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1), q);
    }
    return avx2::pack16_clamp(avx2::rq8v(_mm512_castsi512_si256(c), q), avx2::rq8v(_mm512_extracti64x4_epi64(c, 1), q),
                              q);
}

__attribute__((target("avx2,avx512f,avx512vnni,avx512vl,avx512bw"), always_inline)) inline void vnni512_store4(
    const Rq* q, __m512i c0, __m512i c1, __m512i c2, __m512i c3, int8_t* yp, int64_t ys_m, int32_t n) {
    const __mmask16 mask = (__mmask16)((1u << n) - 1);  // n <= 16
#define SDK_ST(r, c) _mm_mask_storeu_epi8(yp + (r) * ys_m, mask, vnni512_rq(c, q[r]));
    SDK_ST(0, c0)
    SDK_ST(1, c1)
    SDK_ST(2, c2)
    SDK_ST(3, c3)
#undef SDK_ST
}

// P panels (16 * P pixels, the last panel maybe partial: n pixels) of rows [m, m + 4):
// 4 * P accumulators. VPDPBUSD has a latency of ~5 cycles and two issue ports, so a
// chain per accumulator needs ~10 in flight: P = 4 (16 accumulators, 4 panel loads and
// 4 weight broadcasts per 16 multiply-adds) keeps both ports busy; P = 1 or 2 (the
// tile tails) waits on the chains.
// (Out of line: inlined into the row loop, GCC kept the requant constants in registers and
// spilled an accumulator.)
template <int P>
SDK_HOT_TARGET("avx2,avx512f,avx512vnni,avx512vl,avx512bw") __attribute__((noinline)) void vnni512_block(
    const int32_t* w0, int32_t kg, const int8_t* P0, int64_t pstride, const Rq* q, const int32_t* bias, int8_t* yp,
    int64_t ys_m, int32_t n) {
    const int32_t *w1 = w0 + kg, *w2 = w1 + kg, *w3 = w2 + kg;
    __m512i c[4][P];
#pragma GCC unroll 4
    for (int j = 0; j < P; ++j) {
        c[0][j] = _mm512_set1_epi32(bias[0]);
        c[1][j] = _mm512_set1_epi32(bias[1]);
        c[2][j] = _mm512_set1_epi32(bias[2]);
        c[3][j] = _mm512_set1_epi32(bias[3]);
    }
    for (int32_t k = 0; k < kg; ++k) {
        __m512i x[P];
#pragma GCC unroll 4
        for (int j = 0; j < P; ++j) x[j] = _mm512_loadu_si512(P0 + j * pstride + 64 * k);
        __m512i w = _mm512_set1_epi32(w0[k]);
#pragma GCC unroll 4
        for (int j = 0; j < P; ++j) c[0][j] = _mm512_dpbusd_epi32(c[0][j], x[j], w);
        w = _mm512_set1_epi32(w1[k]);
#pragma GCC unroll 4
        for (int j = 0; j < P; ++j) c[1][j] = _mm512_dpbusd_epi32(c[1][j], x[j], w);
        w = _mm512_set1_epi32(w2[k]);
#pragma GCC unroll 4
        for (int j = 0; j < P; ++j) c[2][j] = _mm512_dpbusd_epi32(c[2][j], x[j], w);
        w = _mm512_set1_epi32(w3[k]);
#pragma GCC unroll 4
        for (int j = 0; j < P; ++j) c[3][j] = _mm512_dpbusd_epi32(c[3][j], x[j], w);
    }
#pragma GCC unroll 4
    for (int j = 0; j < P; ++j)
        vnni512_store4(q, c[0][j], c[1][j], c[2][j], c[3][j], yp + j * kPlNR, ys_m, j == P - 1 ? n : kPlNR);
}

SDK_HOT_TARGET("avx2,avx512f,avx512vnni,avx512vl,avx512bw") void vnni512_rows4(
    const PlGemm& g, const int8_t* panels, int32_t pixels, int32_t m, int32_t blocks, int8_t* y, int64_t ys_m) {
    const int32_t kg = g.kg;
    const int64_t pstride = (int64_t)kg * 4 * kPlNR;
    const int32_t npan = (pixels + kPlNR - 1) / kPlNR;
    for (; blocks > 0; --blocks, m += 4) {
        Rq q[4];
        for (int r = 0; r < 4; ++r) q[r] = rq_make(g.mult[m + r], g.shift[m + r], g.out_zp, g.act_min, g.act_max);
        const int32_t* w0 = g.w + (int64_t)m * kg;
        for (int32_t pan = 0; pan < npan;) {  // 4 panels at a time, then the 1-3 left
            const int32_t np = npan - pan >= 4 ? 4 : npan - pan;
            const int32_t p0 = pan * kPlNR;
            const int32_t last = p0 + (np - 1) * kPlNR;
            const int32_t n = pixels - last < kPlNR ? pixels - last : kPlNR;
            const int8_t* P0 = panels + (int64_t)pan * pstride;
            int8_t* yp = y + (int64_t)m * ys_m + p0;
            if (np == 4)
                vnni512_block<4>(w0, kg, P0, pstride, q, g.bias + m, yp, ys_m, n);
            else if (np == 3)
                vnni512_block<3>(w0, kg, P0, pstride, q, g.bias + m, yp, ys_m, n);
            else if (np == 2)
                vnni512_block<2>(w0, kg, P0, pstride, q, g.bias + m, yp, ys_m, n);
            else
                vnni512_block<1>(w0, kg, P0, pstride, q, g.bias + m, yp, ys_m, n);
            pan += np;
        }
    }
}

#pragma GCC diagnostic pop

}  // namespace

SDK_HOT_TARGET("avx2") void pl_gemm(int kind, const PlGemm& g, const void* panels, int32_t pixels, int32_t m0,
                                              int32_t m1, int8_t* y, int64_t ys_m) {
    const int32_t kg = g.kg;
    const int64_t pstride = (int64_t)kg * 4 * kPlNR;  // bytes per panel
    void (*tile4)(const int32_t*, int32_t, const int8_t*, __m256i*) = kind == kPlVnni ? vnni_tile4 : avx2_tile4;
    void (*tile1)(const int32_t*, int32_t, const int8_t*, __m256i*) = kind == kPlVnni ? vnni_tile1 : avx2_tile1;
    Rq q[4];
    __m256i acc[8];
    if (kind == kPlVnni && m1 - m0 >= 4) {
        if (pl_zmm())
            vnni512_rows4(g, static_cast<const int8_t*>(panels), pixels, m0, (m1 - m0) / 4, y, ys_m);
        else
            vnni_rows4(g, static_cast<const int8_t*>(panels), pixels, m0, (m1 - m0) / 4, y, ys_m);
        m0 += (m1 - m0) / 4 * 4;
    }
    for (int32_t m = m0; m < m1;) {
        const int rows = m + 4 <= m1 ? 4 : 1;
        for (int r = 0; r < rows; ++r)
            q[r] = rq_make(g.mult[m + r], g.shift[m + r], g.out_zp, g.act_min, g.act_max);
        const int32_t* w0 = g.w + (int64_t)m * kg;
        for (int32_t p0 = 0; p0 < pixels; p0 += kPlNR) {
            const int8_t* P = static_cast<const int8_t*>(panels) + (int64_t)(p0 / kPlNR) * pstride;
            for (int r = 0; r < rows; ++r) acc[r] = _mm256_set1_epi32(g.bias[m + r]);
            (rows == 4 ? tile4 : tile1)(w0, kg, P, acc);
            const int32_t n = pixels - p0 < kPlNR ? pixels - p0 : kPlNR;
            for (int r = 0; r < rows; ++r) pl_store(q[r], acc[2 * r], acc[2 * r + 1], y + (m + r) * ys_m + p0, n);
        }
        m += rows;
    }
}

SDK_HOT_TARGET("avx2") int32_t gather_s2_avx2(const int8_t* src, int32_t n, const int8_t* src_end,
                                                       int8_t* dst) {
    const __m256i even = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1, 0, 2, 4, 6, 8, 10,
                                          12, 14, -1, -1, -1, -1, -1, -1, -1, -1);
    int32_t i = 0;
    for (; i + 16 <= n && src + 2 * i + 32 <= src_end; i += 16) {
        const __m256i v = _mm256_shuffle_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 2 * i)), even);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i),
                         _mm256_castsi256_si128(_mm256_permute4x64_epi64(v, 0x08)));  // qwords 0, 2
    }
    return i;
}

// ------------------------------------------------------------------ depthwise 3x3

namespace {

struct DwLayout {
    int32_t PH, PW, OWr;
};

inline DwLayout dw_layout(const Dw3x3& p) {
    DwLayout l;
    l.OWr = p.vnni ? (p.OW + 31) / 32 * 32 : (p.OW + 15) / 16 * 16;
    l.PH = (p.OH - 1) * p.stride + (p.k - 1) * p.dil + 1;
    // 16-pixel blocks read up to column stride * OWr + k - 1 (stride 2: 32-byte loads); the
    // VNNI 32-pixel blocks up to OWr + 2 (stride 1) or 2 * OWr + 1 (stride 2) for 3x3, and
    // 4 columns further for 5x5 (the (w4, 0, 0, 0) quads)
    int32_t pw = p.stride * l.OWr + (p.k - 1) * p.dil + (p.k > 3 ? 4 : 0);
    if (pw < p.pl + p.W) pw = p.pl + p.W;
    l.PW = (pw + 31) / 32 * 32;
    return l;
}

// Sign-extended int16 of bytes 0, 2, 4, ... (even) or 1, 3, 5, ... (odd) of 32 bytes.
__attribute__((target("avx2"), always_inline)) inline __m256i even16(__m256i v) {
    return _mm256_srai_epi16(_mm256_slli_epi16(v, 8), 8);
}
__attribute__((target("avx2"), always_inline)) inline __m256i odd16(__m256i v) { return _mm256_srai_epi16(v, 8); }

__attribute__((target("avx2"), always_inline)) inline void tap_pair(__m256i a, __m256i b, __m256i w, __m256i& acc0,
                                                                   __m256i& acc1) {
    acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_unpacklo_epi16(a, b), w));
    acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_unpackhi_epi16(a, b), w));
}

template <int S>
__attribute__((target("avx2"), always_inline)) inline void dw_rows(const Dw3x3& p, const DwLayout& l, const int8_t* buf,
                                                                  const int8_t* w9, int32_t bias_eff, const Rq& q,
                                                                  int8_t* y) {
    const __m256i wp0 = _mm256_set1_epi32(pair16(w9[0], w9[1])), wp1 = _mm256_set1_epi32(pair16(w9[2], w9[3]));
    const __m256i wp2 = _mm256_set1_epi32(pair16(w9[4], w9[5])), wp3 = _mm256_set1_epi32(pair16(w9[6], w9[7]));
    const __m256i wp4 = _mm256_set1_epi32(pair16(w9[8], 0));
    const __m256i vb = _mm256_set1_epi32(bias_eff), zero = _mm256_setzero_si256();
    for (int32_t oh = 0; oh < p.OH; ++oh) {
        const int8_t* r0 = buf + (int64_t)oh * S * l.PW;
        const int8_t *r1 = r0 + l.PW, *r2 = r1 + l.PW;
        int8_t* yr = y + (int64_t)oh * p.OW;
        for (int32_t ow = 0; ow < p.OW; ow += 16) {
            __m256i a0, a1, a2, b0, b1, b2, c0, c1, c2;
            if (S == 1) {
#define SDK_LD(r, o) _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>((r) + ow + (o))))
                a0 = SDK_LD(r0, 0), a1 = SDK_LD(r0, 1), a2 = SDK_LD(r0, 2);
                b0 = SDK_LD(r1, 0), b1 = SDK_LD(r1, 1), b2 = SDK_LD(r1, 2);
                c0 = SDK_LD(r2, 0), c1 = SDK_LD(r2, 1), c2 = SDK_LD(r2, 2);
#undef SDK_LD
            } else {
#define SDK_LD(r, o) _mm256_loadu_si256(reinterpret_cast<const __m256i*>((r) + 2 * ow + (o)))
                __m256i v = SDK_LD(r0, 0);
                a0 = even16(v), a1 = odd16(v), a2 = even16(SDK_LD(r0, 2));
                v = SDK_LD(r1, 0);
                b0 = even16(v), b1 = odd16(v), b2 = even16(SDK_LD(r1, 2));
                v = SDK_LD(r2, 0);
                c0 = even16(v), c1 = odd16(v), c2 = even16(SDK_LD(r2, 2));
#undef SDK_LD
            }
            __m256i acc0 = vb, acc1 = vb;  // pixels 0-3 | 8-11 and 4-7 | 12-15
            tap_pair(a0, a1, wp0, acc0, acc1);
            tap_pair(a2, b0, wp1, acc0, acc1);
            tap_pair(b1, b2, wp2, acc0, acc1);
            tap_pair(c0, c1, wp3, acc0, acc1);
            tap_pair(c2, zero, wp4, acc0, acc1);
            const __m128i r = avx2::pack16_clamp(avx2::rq8v(acc0, q), avx2::rq8v(acc1, q), q);
            if (ow + 16 <= p.OW) {
                _mm_storeu_si128(reinterpret_cast<__m128i*>(yr + ow), r);
            } else {
                alignas(16) int8_t tmp[16];
                _mm_store_si128(reinterpret_cast<__m128i*>(tmp), r);
                memcpy(yr + ow, tmp, (size_t)(p.OW - ow));
            }
        }
    }
}

// Tap t of K x K for 16 pixels from column ow: row t / K, column t % K (times the
// dilation), as int16.
template <int K, int S>
__attribute__((target("avx2"), always_inline)) inline __m256i dw_tap(const int8_t* r0, int32_t pw, int32_t ow, int t,
                                                                    int32_t dil) {
    const int8_t* r = r0 + (int64_t)(t / K) * dil * pw;
    const int c = t % K * dil;
    if (S == 1) return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r + ow + c)));
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r + 2 * ow + (c & ~1)));
    return (c & 1) ? odd16(v) : even16(v);
}

// K x K (5x5) taps in int16 pairs, one VPMADDWD per pair and 16 pixels: tap t reads
// row t / K, column t % K (stride 2: the even or odd bytes of a 32-byte load).
template <int K, int S>
__attribute__((target("avx2"), always_inline)) inline void dw_rows_k(const Dw3x3& p, const DwLayout& l,
                                                                    const int8_t* buf, const int8_t* w,
                                                                    int32_t bias_eff, const Rq& q, int8_t* y) {
    constexpr int T = K * K, NP = (T + 1) / 2;
    __m256i wp[NP];
    for (int i = 0; i < NP; ++i) wp[i] = _mm256_set1_epi32(pair16(w[2 * i], 2 * i + 1 < T ? w[2 * i + 1] : 0));
    const __m256i vb = _mm256_set1_epi32(bias_eff);
    const int32_t dil = p.dil;
    for (int32_t oh = 0; oh < p.OH; ++oh) {
        const int8_t* r0 = buf + (int64_t)oh * S * l.PW;
        int8_t* yr = y + (int64_t)oh * p.OW;
        for (int32_t ow = 0; ow < p.OW; ow += 16) {
            __m256i acc0 = vb, acc1 = vb;  // pixels 0-3 | 8-11 and 4-7 | 12-15
#pragma GCC unroll 16
            for (int i = 0; i < NP; ++i)
                tap_pair(dw_tap<K, S>(r0, l.PW, ow, 2 * i, dil),
                         2 * i + 1 < T ? dw_tap<K, S>(r0, l.PW, ow, 2 * i + 1, dil) : _mm256_setzero_si256(), wp[i],
                         acc0, acc1);
            const __m128i r = avx2::pack16_clamp(avx2::rq8v(acc0, q), avx2::rq8v(acc1, q), q);
            if (ow + 16 <= p.OW) {
                _mm_storeu_si128(reinterpret_cast<__m128i*>(yr + ow), r);
            } else {
                alignas(16) int8_t tmp[16];
                _mm_store_si128(reinterpret_cast<__m128i*>(tmp), r);
                memcpy(yr + ow, tmp, (size_t)(p.OW - ow));
            }
        }
    }
}

inline int32_t quad8(int32_t a, int32_t b, int32_t c, int32_t d = 0) {
    return (int32_t)((uint32_t)(uint8_t)a | (uint32_t)(uint8_t)b << 8 | (uint32_t)(uint8_t)c << 16 |
                     (uint32_t)(uint8_t)d << 24);
}

// The VNNI weights of kernel row r: 3x3 (w0, w1, w2, 0); 5x5 (w0..w3) and (w4, 0, 0, 0).
struct VnniRowW {
    __m256i a, b;
};
template <int K>
__attribute__((target("avx2"), always_inline)) inline VnniRowW vnni_row_w(const int8_t* w, int r) {
    const int8_t* wr = w + r * K;
    VnniRowW v;
    v.a = _mm256_set1_epi32(K == 3 ? quad8(wr[0], wr[1], wr[2]) : quad8(wr[0], wr[1], wr[2], wr[3]));
    v.b = K == 3 ? _mm256_setzero_si256() : _mm256_set1_epi32(quad8(wr[K - 1], 0, 0));
    return v;
}

// 32 output pixels per block. Stride 1: the load at column ow + c gives pixels
// ow + c + 4i in lane i; stride 2: loads at 2 * ow + {0, 2, 32, 34} give the even and odd
// pixels of each half. 5x5: a second VPDPBUSD per load, 4 columns on, adds tap 4.
// After the requant and the saturating packs, one in-lane byte shuffle (and for stride 2
// a qword permute) puts the 32 pixels in order.
template <int K, int S>
SDK_HOT_TARGET("avx2,avx512vnni,avx512vl,avx512bw") void dw_rows_vnni(const Dw3x3& p, const DwLayout& l,
                                                                     const uint8_t* buf, const int8_t* w,
                                                                     int32_t bias, const Rq& q, int8_t* y) {
    VnniRowW wr[K];
    for (int r = 0; r < K; ++r) wr[r] = vnni_row_w<K>(w, r);
    const __m256i vb = _mm256_set1_epi32(bias);
    const __m256i order = S == 1 ? _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, 0, 4, 8, 12, 1,
                                                    5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15)
                                 : _mm256_setr_epi8(0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15, 0, 4, 1, 5, 2,
                                                    6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);
    const int o1 = S == 1 ? 1 : 2, o2 = S == 1 ? 2 : 32, o3 = S == 1 ? 3 : 34;
    for (int32_t oh = 0; oh < p.OH; ++oh) {
        const uint8_t* r0 = buf + (int64_t)oh * S * l.PW;
        int8_t* yr = y + (int64_t)oh * p.OW;
        for (int32_t ow = 0; ow < p.OW; ow += 32) {
            __m256i a0 = vb, a1 = vb, a2 = vb, a3 = vb;
#define SDK_LD(o) _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + (o)))
#pragma GCC unroll 5
            for (int r = 0; r < K; ++r) {
                const uint8_t* b = r0 + (int64_t)r * l.PW + S * ow;
                a0 = _mm256_dpbusd_epi32(a0, SDK_LD(0), wr[r].a);
                a1 = _mm256_dpbusd_epi32(a1, SDK_LD(o1), wr[r].a);
                a2 = _mm256_dpbusd_epi32(a2, SDK_LD(o2), wr[r].a);
                a3 = _mm256_dpbusd_epi32(a3, SDK_LD(o3), wr[r].a);
                if (K == 5) {
                    a0 = _mm256_dpbusd_epi32(a0, SDK_LD(4), wr[r].b);
                    a1 = _mm256_dpbusd_epi32(a1, SDK_LD(o1 + 4), wr[r].b);
                    a2 = _mm256_dpbusd_epi32(a2, SDK_LD(o2 + 4), wr[r].b);
                    a3 = _mm256_dpbusd_epi32(a3, SDK_LD(o3 + 4), wr[r].b);
                }
            }
#undef SDK_LD
            __m256i r = avx2::pack32_clamp(avx2::rq8v(a0, q), avx2::rq8v(a1, q), avx2::rq8v(a2, q),
                                           avx2::rq8v(a3, q), q);
            r = _mm256_shuffle_epi8(r, order);
            if (S == 2) r = _mm256_permute4x64_epi64(r, 0xD8);
            const int32_t n = p.OW - ow;
            _mm256_mask_storeu_epi8(yr + ow, (__mmask32)(n >= 32 ? 0xFFFFFFFFu : (1u << n) - 1), r);
        }
    }
}

// Stride 1, OW <= 16: output rows oh (low 128-bit lane) and oh + 1 (high lane) per block,
// 16 pixels each, the same lane layout as dw_rows_vnni<K, 1>'s 32-pixel blocks.
template <int K>
SDK_HOT_TARGET("avx2,avx512vnni,avx512vl,avx512bw") void dw_rows_vnni2(const Dw3x3& p, const DwLayout& l,
                                                                      const uint8_t* buf, const int8_t* w,
                                                                      int32_t bias, const Rq& q, int8_t* y) {
    VnniRowW wr[K];
    for (int r = 0; r < K; ++r) wr[r] = vnni_row_w<K>(w, r);
    const __m256i vb = _mm256_set1_epi32(bias);
    const __m256i order = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, 0, 4, 8, 12, 1, 5, 9,
                                           13, 2, 6, 10, 14, 3, 7, 11, 15);
    for (int32_t oh = 0; oh < p.OH; oh += 2) {
        const uint8_t* r0 = buf + (int64_t)oh * l.PW;
        __m256i a0 = vb, a1 = vb, a2 = vb, a3 = vb;
#define SDK_LD2(o)                                                                  \
    _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(b + (o) + l.PW), \
                        reinterpret_cast<const __m128i*>(b + (o)))
#pragma GCC unroll 5
        for (int r = 0; r < K; ++r) {
            const uint8_t* b = r0 + (int64_t)r * l.PW;
            a0 = _mm256_dpbusd_epi32(a0, SDK_LD2(0), wr[r].a);
            a1 = _mm256_dpbusd_epi32(a1, SDK_LD2(1), wr[r].a);
            a2 = _mm256_dpbusd_epi32(a2, SDK_LD2(2), wr[r].a);
            a3 = _mm256_dpbusd_epi32(a3, SDK_LD2(3), wr[r].a);
            if (K == 5) {
                a0 = _mm256_dpbusd_epi32(a0, SDK_LD2(4), wr[r].b);
                a1 = _mm256_dpbusd_epi32(a1, SDK_LD2(5), wr[r].b);
                a2 = _mm256_dpbusd_epi32(a2, SDK_LD2(6), wr[r].b);
                a3 = _mm256_dpbusd_epi32(a3, SDK_LD2(7), wr[r].b);
            }
        }
#undef SDK_LD2
        __m256i r = avx2::pack32_clamp(avx2::rq8v(a0, q), avx2::rq8v(a1, q), avx2::rq8v(a2, q), avx2::rq8v(a3, q), q);
        r = _mm256_shuffle_epi8(r, order);
        const __mmask16 mask = (__mmask16)((1u << p.OW) - 1);  // OW <= 16
        _mm_mask_storeu_epi8(y + (int64_t)oh * p.OW, mask, _mm256_castsi256_si128(r));
        if (oh + 1 < p.OH) _mm_mask_storeu_epi8(y + (int64_t)(oh + 1) * p.OW, mask, _mm256_extracti128_si256(r, 1));
    }
}

}  // namespace

size_t dw3x3_scratch_bytes(const Dw3x3& p) {
    const DwLayout l = dw_layout(p);
    // + one row for the two-row VNNI blocks' last (odd) row, one stride-2 load past the end
    return (size_t)(l.PH + 1) * l.PW + 64;
}

void dw3x3_init_scratch(const Dw3x3& p, int8_t* scratch) {
    memset(scratch, p.vnni ? (p.x_zp ^ 0x80) : p.x_zp, dw3x3_scratch_bytes(p));
}

SDK_HOT_TARGET("avx2") void dw3x3_plane_avx2(const Dw3x3& p, const int8_t* x, const int8_t* w, int32_t bias,
                                                      int32_t mult, int32_t shift, int8_t* scratch, int8_t* y) {
    const DwLayout l = dw_layout(p);
    // the input plane at (pt, pl); the borders keep the zero point from dw3x3_init_scratch
    // (inline 16-byte copies, the last one overlapping: a memcpy call per short row cost
    // more than the copy)
    for (int32_t ih = 0; ih < p.H && ih + p.pt < l.PH; ++ih) {
        int8_t* dst = scratch + (int64_t)(ih + p.pt) * l.PW + p.pl;
        const int8_t* src = x + (int64_t)ih * p.W;
        if (p.W < 16) {  // narrow planes (14x14, 7x7): two overlapping 8- or 4-byte moves
            const uint64_t f = p.vnni ? 0x8080808080808080ull : 0;
            if (p.W >= 8) {
                uint64_t u, v;
                memcpy(&u, src, 8);
                memcpy(&v, src + p.W - 8, 8);
                u ^= f, v ^= f;
                memcpy(dst, &u, 8);
                memcpy(dst + p.W - 8, &v, 8);
            } else if (p.W >= 4) {
                uint32_t u, v;
                memcpy(&u, src, 4);
                memcpy(&v, src + p.W - 4, 4);
                u ^= (uint32_t)f, v ^= (uint32_t)f;
                memcpy(dst, &u, 4);
                memcpy(dst + p.W - 4, &v, 4);
            } else {
                for (int32_t i = 0; i < p.W; ++i) dst[i] = (int8_t)(src[i] ^ (int8_t)f);
            }
            continue;
        }
        const __m128i flip = _mm_set1_epi8(p.vnni ? (char)0x80 : 0);  // VNNI: x + 128 as unsigned
        for (int32_t i = 0; i + 16 <= p.W; i += 16)
            _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i),
                             _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)), flip));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + p.W - 16),
                         _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + p.W - 16)), flip));
    }
    // padding taps read x_zp: sum w * x - x_zp * sum w == sum over real taps of w * (x - x_zp)
    int32_t wsum = 0;
    for (int i = 0; i < p.k * p.k; ++i) wsum += w[i];
    const int32_t bias_eff = bias - p.x_zp * wsum;
    const Rq q = rq_make(mult, shift, p.out_zp, p.act_min, p.act_max);
    const uint8_t* ub = reinterpret_cast<const uint8_t*>(scratch);
    const int32_t bias_u = bias_eff - 128 * wsum;  // VNNI: taps read x + 128, take 128 * sum w back off
    if (p.k == 5) {
        if (p.vnni && p.stride == 1 && p.OW <= 16)
            dw_rows_vnni2<5>(p, l, ub, w, bias_u, q, y);
        else if (p.vnni && p.stride == 1)
            dw_rows_vnni<5, 1>(p, l, ub, w, bias_u, q, y);
        else if (p.vnni)
            dw_rows_vnni<5, 2>(p, l, ub, w, bias_u, q, y);
        else if (p.stride == 1)
            dw_rows_k<5, 1>(p, l, scratch, w, bias_eff, q, y);
        else
            dw_rows_k<5, 2>(p, l, scratch, w, bias_eff, q, y);
        return;
    }
    if (p.dil != 1) {  // (the AVX2 rows; no VNNI ones for dilated taps)
        if (p.stride == 1)
            dw_rows_k<3, 1>(p, l, scratch, w, bias_eff, q, y);
        else
            dw_rows_k<3, 2>(p, l, scratch, w, bias_eff, q, y);
        return;
    }
    if (p.vnni) {
        if (p.stride == 1 && p.OW <= 16)
            dw_rows_vnni2<3>(p, l, ub, w, bias_u, q, y);
        else if (p.stride == 1)
            dw_rows_vnni<3, 1>(p, l, ub, w, bias_u, q, y);
        else
            dw_rows_vnni<3, 2>(p, l, ub, w, bias_u, q, y);
        return;
    }
    if (p.stride == 1)
        dw_rows<1>(p, l, scratch, w, bias_eff, q, y);
    else
        dw_rows<2>(p, l, scratch, w, bias_eff, q, y);
}

SDK_HOT_TARGET("avx2") void dw1x1_plane_avx2(const int8_t* x, int64_t n, int32_t w, int32_t bias, int32_t mult,
                                             int32_t shift, int32_t x_zp, int32_t out_zp, int32_t act_min,
                                             int32_t act_max, int8_t* y) {
    const Rq q = rq_make(mult, shift, out_zp, act_min, act_max);
    const __m256i zp16 = _mm256_set1_epi16((short)x_zp), w16 = _mm256_set1_epi16((short)w);
    const __m256i vb = _mm256_set1_epi32(bias);
    // pack16_clamp's order is pixels 0-3, 8-11, 4-7, 12-15 for a = 0-7, b = 8-15
    const __m128i order = _mm_setr_epi8(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        // (x - x_zp) * w fits int16 exactly: |x - x_zp| <= 255, |w| <= 127
        const __m256i d = _mm256_sub_epi16(
            _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i))), zp16);
        const __m256i p = _mm256_mullo_epi16(d, w16);
        const __m256i a = _mm256_add_epi32(vb, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(p)));
        const __m256i b = _mm256_add_epi32(vb, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(p, 1)));
        const __m128i r = avx2::pack16_clamp(avx2::rq8v(a, q), avx2::rq8v(b, q), q);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), _mm_shuffle_epi8(r, order));
    }
    for (; i < n; ++i) {
        const int64_t v = (int64_t)mbqm(bias + w * ((int32_t)x[i] - x_zp), mult, shift) + out_zp;
        y[i] = (int8_t)(v < act_min ? act_min : (v > act_max ? act_max : v));
    }
}

}  // namespace s8
}  // namespace sdk
#endif
