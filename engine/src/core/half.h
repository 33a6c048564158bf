// IEEE 754 half <-> single conversion without the standard library or F16C/FP16 hardware
// (used at the API boundary and by Cast; hot paths of a model compute in fp32).
#pragma once

#include <stdint.h>
#include <string.h>

namespace sdk {

#if defined(__aarch64__)
// Every ARMv8-A CPU converts in one instruction (FCVT), IEEE round to nearest even.
inline float half_to_float(uint16_t h) {
    __fp16 v;
    memcpy(&v, &h, 2);
    return static_cast<float>(v);
}
inline uint16_t float_to_half(float f) {
    const __fp16 v = static_cast<__fp16>(f);
    uint16_t h;
    memcpy(&h, &v, 2);
    return h;
}
#else
inline float half_to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);  // Inf / NaN (payload kept)
    } else if (exp != 0) {
        bits = sign | ((exp + 112u) << 23) | (mant << 13);
    } else if (mant == 0) {
        bits = sign;  // +-0
    } else {  // subnormal: normalise
        exp = 113;
        while (!(mant & 0x400u)) {
            mant <<= 1;
            --exp;
        }
        bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

// Round to nearest, ties to even; overflow to +-Inf; NaN stays NaN.
inline uint16_t float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
    x &= 0x7fffffffu;
    if (x >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u | (x > 0x7f800000u ? 0x200u : 0u));
    if (x >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds past 65504
    if (x < 0x38800000u) {  // below the smallest normal half: subnormal or zero
        if (x < 0x33000000u) return sign;  // below half the smallest subnormal
        const uint32_t e = x >> 23, m = (x & 0x7fffffu) | 0x800000u;
        const uint32_t shift = 126u - e;  // 14..24
        uint32_t r = m >> shift;
        const uint32_t rem = m & ((1u << shift) - 1u), halfway = 1u << (shift - 1u);
        if (rem > halfway || (rem == halfway && (r & 1u))) ++r;
        return static_cast<uint16_t>(sign | r);
    }
    uint32_t r = ((x >> 13) - (112u << 10));
    const uint32_t rem = x & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) ++r;
    return static_cast<uint16_t>(sign | r);
}
#endif

}  // namespace sdk
