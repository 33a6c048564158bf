// AVX2 int8 Mul row for the broadcast walker (kernels/ref/binary.h), bit-exact with the
// ref row of kernels/ref/mul_s8.cpp: 16 elements per step, (a - za) and (b - zb) as int16
// (|.| <= 255), their exact int32 products from VPMULLW/VPMULHW, the vector mbqm
// (kernels/x86/requant_s8_avx2.h), zero point and int8 saturation. A scalar operand (the
// squeeze-excitation scale of a channel) is one broadcast vector. Called only after
// s8::cpu_has_avx2() (mul_s8_prepare picks it with the AVX2 int8 GEMM).
#include "kernels/ref/mul_s8.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include "kernels/unroll.h"  // SDK_HOT_TARGET
#include <string.h>

#include "kernels/x86/requant_s8_avx2.h"

namespace sdk {
namespace s8 {

SDK_HOT_TARGET("avx2") void mul_row_avx2(const void* const* in, const uint8_t* unit, void* out, int64_t n,
                                                  const void* params) {
    const MulS8Params& p = *static_cast<const MulS8Params*>(params);
    const int8_t* a = static_cast<const int8_t*>(in[0]);
    const int8_t* b = static_cast<const int8_t*>(in[1]);
    int8_t* y = static_cast<int8_t*>(out);
    const avx2::Rq q = avx2::rq_make(p.m.mult, p.m.shift, p.out_zp, -128, 127);
    const __m256i za = _mm256_set1_epi16((short)p.a_zp), zb = _mm256_set1_epi16((short)p.b_zp);
    const bool va = unit[0] != 0, vb = unit[1] != 0;  // a / b advance (else one value)
    const __m256i a1 = _mm256_set1_epi16((short)(a[0] - p.a_zp)), b1 = _mm256_set1_epi16((short)(b[0] - p.b_zp));
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256i x = va ? _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128(
                                                    reinterpret_cast<const __m128i*>(a + i))), za)
                             : a1;
        const __m256i w = vb ? _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128(
                                                    reinterpret_cast<const __m128i*>(b + i))), zb)
                             : b1;
        const __m256i lo = _mm256_mullo_epi16(x, w), hi = _mm256_mulhi_epi16(x, w);
        // int32 products of elements 0-3 | 8-11 and 4-7 | 12-15: pack16_clamp's order
        const __m256i p0 = _mm256_unpacklo_epi16(lo, hi), p1 = _mm256_unpackhi_epi16(lo, hi);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i),
                         avx2::pack16_clamp(avx2::rq8v(p0, q), avx2::rq8v(p1, q), q));
    }
    for (; i < n; ++i) {
        const int32_t xa = (va ? a[i] : a[0]) - p.a_zp, xb = (vb ? b[i] : b[0]) - p.b_zp;
        y[i] = clamp_s8(mbqm(xa * xb, p.m.mult, p.m.shift) + p.out_zp, -128, 127);
    }
}

}  // namespace s8
}  // namespace sdk
#endif
