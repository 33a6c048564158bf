// AVX2 int8 Add: 16 elements per step, each input moved to the common scale with the
// exact vector mbqm (kernels/x86/requant_s8_avx2.h), added, requantized, clamped.
#include "kernels/x86/add_s8.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include "kernels/unroll.h"  // SDK_HOT_TARGET

#include "kernels/x86/requant_s8_avx2.h"

namespace sdk {
namespace s8 {

SDK_HOT_TARGET("avx2") int64_t add_s8_avx2(const AddParams& p, const int8_t* a, const int8_t* b, int8_t* y,
                                                    int64_t n) {
    // plain mbqm (saturating, no zero point): clamps at the int32 limits
    const avx2::Rq qa = avx2::rq_make(p.ma_mult, p.ma_shift, 0, INT32_MIN, INT32_MAX);
    const avx2::Rq qb = avx2::rq_make(p.mb_mult, p.mb_shift, 0, INT32_MIN, INT32_MAX);
    const avx2::Rq qo = avx2::rq_make(p.mo_mult, p.mo_shift, p.out_zp, p.act_min, p.act_max);
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
