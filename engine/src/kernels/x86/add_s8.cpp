// AVX2 int8 Add: 16 elements per step, each input moved to the common scale with the
// exact vector mbqm (kernels/x86/requant_s8_avx2.h), added, requantized, clamped; on
// AVX-512 CPUs (multipliers below 1, as always in practice) the same 16 lanes in one ZMM.
#include "kernels/x86/add_s8.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include "kernels/unroll.h"  // SDK_HOT_TARGET

#include "kernels/x86/requant_s8_avx2.h"

#include <stdlib.h>

#include "core/status.h"  // str_eq

namespace sdk {
namespace s8 {

namespace {

// avx2::rq8's fast path (shift <= 0) on 16 lanes: the same operations, the same result.
__attribute__((target("avx2,avx512f"), always_inline)) inline __m512i rq16(__m512i acc, const avx2::Rq& q) {
    const __m512i mult = _mm512_broadcast_i64x4(q.mult), rnd = _mm512_broadcast_i64x4(q.rnd);
    __m512i pe = _mm512_add_epi64(_mm512_mul_epi32(acc, mult), rnd);
    __m512i po = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(acc, 32), mult), rnd);
    pe = _mm512_sll_epi64(pe, q.lsh);
    po = _mm512_sll_epi64(po, q.lsh);
    __m512i v = _mm512_sra_epi32(_mm512_mask_blend_epi32((__mmask16)0xAAAA, _mm512_srli_epi64(pe, 32), po), q.rsh);
    v = _mm512_min_epi32(_mm512_max_epi32(v, _mm512_broadcast_i64x4(q.lo)), _mm512_broadcast_i64x4(q.hi));
    return _mm512_add_epi32(v, _mm512_broadcast_i64x4(q.zp));
}

// 16 elements per step in element order on ZMM (every multiplier below 1: the fast path).
SDK_HOT_TARGET("avx2,avx512f") int64_t add_s8_avx512(const AddParams& p, const avx2::Rq& qa, const avx2::Rq& qb,
                                                    const avx2::Rq& qo, const int8_t* a, const int8_t* b, int8_t* y,
                                                    int64_t n) {
    const __m512i az = _mm512_set1_epi32(p.a_zp), bz = _mm512_set1_epi32(p.b_zp);
    const __m128i ls = _mm_cvtsi32_si128(p.left_shift);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512i xa = _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
        const __m512i xb = _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
        const __m512i sa = rq16(_mm512_sll_epi32(_mm512_sub_epi32(xa, az), ls), qa);
        const __m512i sb = rq16(_mm512_sll_epi32(_mm512_sub_epi32(xb, bz), ls), qb);
        // values already in [act_min, act_max]: the saturating narrow is exact
        _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), _mm512_cvtsepi32_epi8(rq16(_mm512_add_epi32(sa, sb), qo)));
    }
    return i;
}

}  // namespace

bool add_s8_zmm() {
    const char* tier = getenv("SDK_INT8_GEMM");
    const char* zmm = getenv("SDK_INT8_ZMM");
    return __builtin_cpu_supports("avx512f") && !(tier && str_eq(tier, "avx2")) && !(zmm && str_eq(zmm, "0"));
}

SDK_HOT_TARGET("avx2") int64_t add_s8_avx2(const AddParams& p, const int8_t* a, const int8_t* b, int8_t* y,
                                                    int64_t n) {
    // plain mbqm (saturating, no zero point): clamps at the int32 limits
    const avx2::Rq qa = avx2::rq_make(p.ma_mult, p.ma_shift, 0, INT32_MIN, INT32_MAX);
    const avx2::Rq qb = avx2::rq_make(p.mb_mult, p.mb_shift, 0, INT32_MIN, INT32_MAX);
    const avx2::Rq qo = avx2::rq_make(p.mo_mult, p.mo_shift, p.out_zp, p.act_min, p.act_max);
    if (p.zmm && qa.fast && qb.fast && qo.fast) return add_s8_avx512(p, qa, qb, qo, a, b, y, n);
    const __m256i az = _mm256_set1_epi32(p.a_zp), bz = _mm256_set1_epi32(p.b_zp);
    const __m128i ls = _mm_cvtsi32_si128(p.left_shift);
    // elements 0-3 | 8-11 in the first vector, 4-7 | 12-15 in the second: the order
    // avx2::pack16_lanes undoes
    const __m128i order = _mm_setr_epi8(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m128i va = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)), order);
        const __m128i vb = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)), order);
        __m256i r[2];
        for (int h = 0; h < 2; ++h) {
            const __m128i sa = h ? _mm_srli_si128(va, 8) : va, sb = h ? _mm_srli_si128(vb, 8) : vb;
            const __m256i xa = avx2::rq8(_mm256_sll_epi32(_mm256_sub_epi32(_mm256_cvtepi8_epi32(sa), az), ls), qa);
            const __m256i xb = avx2::rq8(_mm256_sll_epi32(_mm256_sub_epi32(_mm256_cvtepi8_epi32(sb), bz), ls), qb);
            r[h] = avx2::rq8(_mm256_add_epi32(xa, xb), qo);
        }
        _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), avx2::pack16_lanes(r[0], r[1]));
    }
    return i;
}

}  // namespace s8
}  // namespace sdk
#endif
