// AVX512-VBMI int8 table lookup (the int8 path of the element-wise ops, ops/unary_op.h:
// y = table[x + 128]): 64 bytes per step, two VPERMI2B over the table's halves and a byte
// blend on the sign of x. Exact by construction (a lookup). Taken on the AVX-512 int8 tier
// (a CPU with AVX512-VBMI; SDK_INT8_GEMM=ref, =avx2 or =sse41 keep the scalar loop).
#include <stdint.h>
#include <stdlib.h>

#include "core/status.h"  // str_eq

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>

namespace sdk {
namespace s8 {

bool lut_s8_vbmi_ok() {
    __builtin_cpu_init();
    const char* force = getenv("SDK_INT8_GEMM");
    if (force && *force && !str_eq(force, "vnni")) return false;
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vbmi");
}

__attribute__((target("avx512f,avx512bw,avx512vbmi"))) int64_t lut_s8_vbmi(const int8_t* x, int8_t* y, int64_t n,
                                                                            const int8_t* table) {
    // x < 0 reads entries 0-127 at x + 128 (x's low 7 bits), x >= 0 entries 128-255 at x
    const __m512i t0 = _mm512_loadu_si512(table), t1 = _mm512_loadu_si512(table + 64);
    const __m512i t2 = _mm512_loadu_si512(table + 128), t3 = _mm512_loadu_si512(table + 192);
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        const __m512i v = _mm512_loadu_si512(x + i);
        const __m512i lo = _mm512_permutex2var_epi8(t0, v, t1), hi = _mm512_permutex2var_epi8(t2, v, t3);
        _mm512_storeu_si512(y + i, _mm512_mask_blend_epi8(_mm512_movepi8_mask(v), hi, lo));
    }
    if (i < n) {  // the tail, masked
        const __mmask64 m = (__mmask64)((1ull << (n - i)) - 1);  // n - i < 64
        const __m512i v = _mm512_maskz_loadu_epi8(m, x + i);
        const __m512i lo = _mm512_permutex2var_epi8(t0, v, t1), hi = _mm512_permutex2var_epi8(t2, v, t3);
        _mm512_mask_storeu_epi8(y + i, m, _mm512_mask_blend_epi8(_mm512_movepi8_mask(v), hi, lo));
        i = n;
    }
    return i;
}

}  // namespace s8
}  // namespace sdk
#endif
