// AVX2 int8 Resize row blend (kernels/ref/resize_s8.cpp's vrow): y = clamp((sum_t w[t] *
// rows[t] + 2^21) >> 22, -128, 127) with Q11 weights over the int32 row cache, 16 outputs
// per step, the same int32 arithmetic as the portable loop (bit-exact). Chosen with the
// AVX2 int8 GEMM (SDK_INT8_GEMM=ref keeps the portable loop).
#include "kernels/ref/resize.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>

#include "kernels/unroll.h"  // SDK_HOT_TARGET

namespace sdk {
namespace ref {

namespace {

__attribute__((target("avx2"), always_inline)) inline __m256i blend8(const int32_t* const* rows, const __m256i* w,
                                                                    int32_t n, int64_t j) {
    __m256i acc = _mm256_mullo_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[0] + j)), w[0]);
    for (int32_t t = 1; t < n; ++t)
        acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[t] + j)),
                                                       w[t]));
    return _mm256_srai_epi32(_mm256_add_epi32(acc, _mm256_set1_epi32(1 << 21)), 22);
}

}  // namespace

SDK_HOT_TARGET("avx2")
void x86_resize_vblend_s8_avx2(const int32_t* const* rows, const int16_t* w, int32_t n, int8_t* y, int64_t len) {
    __m256i wv[8];  // (linear: 2 taps, cubic: 4; antialias may have more: the portable loop)
    for (int32_t t = 0; t < n && t < 8; ++t) wv[t] = _mm256_set1_epi32(w[t]);
    int64_t j = 0;
    for (; n <= 8 && j + 16 <= len; j += 16) {
        // saturating packs = the clamp; the qword permute undoes VPACKSSDW's in-lane order
        const __m256i a = blend8(rows, wv, n, j), b = blend8(rows, wv, n, j + 8);
        const __m256i s16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(y + j),
                         _mm_packs_epi16(_mm256_castsi256_si128(s16), _mm256_extracti128_si256(s16, 1)));
    }
    for (; j < len; ++j) {
        int32_t acc = 0;
        for (int32_t t = 0; t < n; ++t) acc += (int32_t)w[t] * rows[t][j];
        const int32_t v = (acc + (1 << 21)) >> 22;
        y[j] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
    }
}

}  // namespace ref
}  // namespace sdk
#endif
