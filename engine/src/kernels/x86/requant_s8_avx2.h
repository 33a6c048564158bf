// AVX2 form of s8::mbqm for 8 int32 lanes sharing one (mult, shift), bit-exact with
// kernels/requant_s8.h. Included only by x86 kernel files; every function carries the
// avx2 target attribute and is called only after s8::cpu_has_avx2().
//
// Fast path (shift <= 0, every real multiplier below 1, i.e. every conv in practice):
// total = 31 - shift >= 31, p = x * mult + 2^(total - 1) fits int64 with room, and the
// result floor(p / 2^total) always fits int32 (no saturation case exists), so
//   total >= 32: high dword of p (that is p >> 32), then an int32 arithmetic shift;
//   total == 31: high dword of (p << 1).
// Both need only VPMULDQ on even/odd lanes, 64-bit add and shift, a dword blend. Other
// shifts (multiplier >= 1, rare) take the general 64-bit path with saturation.
#pragma once

#include <immintrin.h>
#include <stdint.h>

#include "kernels/requant_s8.h"

namespace sdk {
namespace s8 {
namespace avx2 {

struct Rq {
    __m256i mult, rnd, lo, hi, zp;  // lo/hi: the clamp minus the zero point
    __m256i zp16, lo8, hi8;         // for pack16_clamp: zp as int16, the clamp as int8
    __m128i lsh, rsh;
    int32_t mult_s, shift_s, zp_s, lo_s, hi_s;
    bool fast;
};

__attribute__((target("avx2"), always_inline)) inline Rq rq_make(int32_t mult, int32_t shift, int32_t zp, int32_t lo,
                                                                int32_t hi) {
    Rq q;
    const int total = 31 - shift;
    q.fast = shift <= 0;
    q.mult = _mm256_set1_epi64x(mult);
    q.rnd = _mm256_set1_epi64x((long long)(int64_t(1) << (total - 1)));
    q.lsh = _mm_cvtsi32_si128(total == 31 ? 1 : 0);
    q.rsh = _mm_cvtsi32_si128(total > 31 ? total - 32 : 0);
    q.lo = _mm256_set1_epi32(lo - zp);
    q.hi = _mm256_set1_epi32(hi - zp);
    q.zp = _mm256_set1_epi32(zp);
    q.zp16 = _mm256_set1_epi16((short)zp);
    q.lo8 = _mm256_set1_epi8((char)(lo < -128 ? -128 : (lo > 127 ? 127 : lo)));
    q.hi8 = _mm256_set1_epi8((char)(hi < -128 ? -128 : (hi > 127 ? 127 : hi)));
    q.mult_s = mult;
    q.shift_s = shift;
    q.zp_s = zp;
    q.lo_s = lo;
    q.hi_s = hi;
    return q;
}

// General path for 4 lanes (any shift): 64-bit lanes, arithmetic shift emulated with xor
// around a logical one, clamp in 64 bits (covers int32 saturation). Returns v - zp clamped
// to [lo - zp, hi - zp].
__attribute__((target("avx2"), always_inline)) inline __m128i rq4_general(__m128i acc, const Rq& q) {
    const int total = 31 - q.shift_s;
    const __m256i v = _mm256_cvtepi32_epi64(acc);
    __m256i r = _mm256_add_epi64(_mm256_mul_epi32(v, q.mult), q.rnd);
    const __m256i sign = _mm256_cmpgt_epi64(_mm256_setzero_si256(), r);
    r = _mm256_xor_si256(_mm256_srl_epi64(_mm256_xor_si256(r, sign), _mm_cvtsi32_si128(total)), sign);
    const __m256i vlo = _mm256_set1_epi64x(q.lo_s - q.zp_s), vhi = _mm256_set1_epi64x(q.hi_s - q.zp_s);
    r = _mm256_blendv_epi8(r, vlo, _mm256_cmpgt_epi64(vlo, r));
    r = _mm256_blendv_epi8(r, vhi, _mm256_cmpgt_epi64(r, vhi));
    return _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(r, _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0)));
}

// 8 accumulators -> 8 requantized, clamped int32 (zero point added).
__attribute__((target("avx2"), always_inline)) inline __m256i rq8(__m256i acc, const Rq& q) {
    __m256i v;
    if (q.fast) {
        __m256i pe = _mm256_add_epi64(_mm256_mul_epi32(acc, q.mult), q.rnd);
        __m256i po = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(acc, 32), q.mult), q.rnd);
        pe = _mm256_sll_epi64(pe, q.lsh);
        po = _mm256_sll_epi64(po, q.lsh);
        v = _mm256_blend_epi32(_mm256_srli_epi64(pe, 32), po, 0xAA);
        v = _mm256_sra_epi32(v, q.rsh);
        v = _mm256_min_epi32(_mm256_max_epi32(v, q.lo), q.hi);
    } else {
        v = _mm256_set_m128i(rq4_general(_mm256_extracti128_si256(acc, 1), q),
                             rq4_general(_mm256_castsi256_si128(acc), q));
    }
    return _mm256_add_epi32(v, q.zp);
}

// 8 accumulators -> mbqm without the zero point or the output clamp (fast path), or
// clamped to [lo - zp, hi - zp] (general path): pack16_clamp finishes either exactly.
__attribute__((target("avx2"), always_inline)) inline __m256i rq8v(__m256i acc, const Rq& q) {
    if (!q.fast)
        return _mm256_set_m128i(rq4_general(_mm256_extracti128_si256(acc, 1), q),
                                rq4_general(_mm256_castsi256_si128(acc), q));
    __m256i pe = _mm256_add_epi64(_mm256_mul_epi32(acc, q.mult), q.rnd);
    __m256i po = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(acc, 32), q.mult), q.rnd);
    pe = _mm256_sll_epi64(pe, q.lsh);
    po = _mm256_sll_epi64(po, q.lsh);
    return _mm256_sra_epi32(_mm256_blend_epi32(_mm256_srli_epi64(pe, 32), po, 0xAA), q.rsh);
}

// Two rq8v results a, b -> 16 int8 clamp(v + zp, lo, hi) in the lane order of
// pack16_lanes. Saturating int16 steps then the int8 clamp give the same result as the
// int32 clamp: a value outside int16 stays outside [-128, 127] after adding |zp| <= 128.
__attribute__((target("avx2"), always_inline)) inline __m128i pack16_clamp(__m256i a, __m256i b, const Rq& q) {
    const __m256i w = _mm256_adds_epi16(_mm256_packs_epi32(a, b), q.zp16);
    const __m128i r = _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
    return _mm_min_epi8(_mm_max_epi8(r, _mm256_castsi256_si128(q.lo8)), _mm256_castsi256_si128(q.hi8));
}

// Four rq8v results -> 32 int8 clamp(v + zp, lo, hi), exact as pack16_clamp, in
// VPACKSS's in-lane order: per 128-bit lane a, b, c, d (4 values each).
__attribute__((target("avx2"), always_inline)) inline __m256i pack32_clamp(__m256i a, __m256i b, __m256i c, __m256i d,
                                                                          const Rq& q) {
    const __m256i lo = _mm256_adds_epi16(_mm256_packs_epi32(a, b), q.zp16);
    const __m256i hi = _mm256_adds_epi16(_mm256_packs_epi32(c, d), q.zp16);
    return _mm256_min_epi8(_mm256_max_epi8(_mm256_packs_epi16(lo, hi), q.lo8), q.hi8);
}

// Two requantized vectors a, b (values already in [-128, 127]) -> 16 int8 in the order
// a[0..3] b[0..3] a[4..7] b[4..7] (what VPACKSSDW's in-lane order gives).
__attribute__((target("avx2"), always_inline)) inline __m128i pack16_lanes(__m256i a, __m256i b) {
    const __m256i w = _mm256_packs_epi32(a, b);
    return _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
}

}  // namespace avx2
}  // namespace s8
}  // namespace sdk
