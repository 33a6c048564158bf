// AVX2 nearest Resize row for an exact 2x along W (YOLO's Upsample): every input element
// twice, by unpacking a vector with itself (1- and 4-byte elements); chosen at run time
// (ref::resize_simd()).
#include "kernels/ref/resize.h"
#include "kernels/unroll.h"

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>

namespace sdk {
namespace ref {

SDK_HOT_TARGET("avx2") void x86_resize_dup2_avx2(const void* x, void* y, int64_t n, int32_t elem_size) {
    int64_t j = 0;
    if (elem_size == 4) {
        const uint32_t* s = static_cast<const uint32_t*>(x);
        uint32_t* d = static_cast<uint32_t*>(y);
        for (; j + 8 <= n; j += 8) {
            const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + j));
            const __m256i lo = _mm256_unpacklo_epi32(v, v), hi = _mm256_unpackhi_epi32(v, v);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + 2 * j), _mm256_permute2x128_si256(lo, hi, 0x20));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + 2 * j + 8), _mm256_permute2x128_si256(lo, hi, 0x31));
        }
        for (; j < n; ++j) d[2 * j] = d[2 * j + 1] = s[j];
        return;
    }
    const uint8_t* s = static_cast<const uint8_t*>(x);
    uint8_t* d = static_cast<uint8_t*>(y);
    for (; j + 32 <= n; j += 32) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + j));
        const __m256i lo = _mm256_unpacklo_epi8(v, v), hi = _mm256_unpackhi_epi8(v, v);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + 2 * j), _mm256_permute2x128_si256(lo, hi, 0x20));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + 2 * j + 32), _mm256_permute2x128_si256(lo, hi, 0x31));
    }
    for (; j < n; ++j) d[2 * j] = d[2 * j + 1] = s[j];
}

}  // namespace ref
}  // namespace sdk
#endif
