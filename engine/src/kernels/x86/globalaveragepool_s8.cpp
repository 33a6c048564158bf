// AVX2 sum of an int8 plane for the int8 GlobalAveragePool (kernels/ref/globalaveragepool_s8.cpp):
// x ^ 0x80 is x + 128 as an unsigned byte, VPSADBW against zero sums 8 of them per 64-bit
// lane; sum(x) = sum(x + 128) - 128 * n. Exact (n <= 2^23). Called only after
// s8::cpu_has_avx2().
#include <stdint.h>

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include "kernels/unroll.h"  // SDK_HOT_TARGET

namespace sdk {
namespace s8 {

SDK_HOT_TARGET("avx2") int32_t sum_s8_avx2(const int8_t* x, int32_t n) {
    const __m256i flip = _mm256_set1_epi8((char)0x80), zero = _mm256_setzero_si256();
    __m256i acc = zero;
    int32_t i = 0;
    for (; i + 32 <= n; i += 32)
        acc = _mm256_add_epi64(
            acc, _mm256_sad_epu8(_mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i)), flip),
                                 zero));
    alignas(32) int64_t lanes[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc);
    int64_t total = lanes[0] + lanes[1] + lanes[2] + lanes[3] - 128 * (int64_t)i;
    for (; i < n; ++i) total += x[i];
    return (int32_t)total;
}

}  // namespace s8
}  // namespace sdk
#endif
