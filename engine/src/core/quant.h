// Fixed-point requantization, TFLite scheme (bit-exact across ISAs): a real multiplier
// M = s_in / s_out (or s_in * s_w / s_out) is stored as a Q31 `multiplier` and a
// power-of-two `shift`; SIMD kernels must reproduce multiply_by_quantized_multiplier.
#pragma once

#include <math.h>
#include <stdint.h>

namespace sdk {

struct Requant {
    int32_t multiplier;  // Q31, in [2^30, 2^31) (or 0)
    int32_t shift;       // left shift if > 0, right shift if < 0
};

inline Requant quantize_multiplier(double m) {
    Requant r{0, 0};
    if (m == 0.0) return r;
    int e = 0;
    double q = frexp(m, &e);  // m = q * 2^e, q in [0.5, 1)
    int64_t qf = static_cast<int64_t>(llround(q * (1LL << 31)));
    if (qf == (1LL << 31)) {
        qf /= 2;
        ++e;
    }
    if (e < -31) {  // too small to represent: flush to zero
        e = 0;
        qf = 0;
    }
    if (e > 30) {  // over 2^30 (the file's scales allow ~2^250): every x != 0 saturates anyway
        qf = INT32_MAX;
        e = 30;
    }
    r.multiplier = static_cast<int32_t>(qf);
    r.shift = e;
    return r;
}

// (a * b * 2) >> 32 with rounding, saturating the single overflow case (gemmlowp).
inline int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
    if (a == b && a == INT32_MIN) return INT32_MAX;
    int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
    int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    return static_cast<int32_t>((ab + nudge) / (1LL << 31));
}

// Rounding right shift by `exponent` (round half away from zero).
inline int32_t rounding_divide_by_pot(int32_t x, int exponent) {
    if (exponent <= 0) return x;
    const int32_t mask = static_cast<int32_t>((1LL << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

inline int32_t multiply_by_quantized_multiplier(int32_t x, Requant r) {
    int left = r.shift > 0 ? r.shift : 0;
    int right = r.shift > 0 ? 0 : -r.shift;
    int64_t shifted = static_cast<int64_t>(x) * (int64_t(1) << left);
    if (shifted > INT32_MAX) shifted = INT32_MAX;
    if (shifted < INT32_MIN) shifted = INT32_MIN;
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(static_cast<int32_t>(shifted), r.multiplier),
                                  right);
}

inline int8_t saturate_s8(int32_t v) { return static_cast<int8_t>(v < -128 ? -128 : (v > 127 ? 127 : v)); }

// Float -> int8 with scale/zero point (round half to even, as QuantizeLinear and np.rint;
// nearbyintf in the default rounding mode).
inline int8_t quantize_s8(float x, float scale, int32_t zp) {
    float q = nearbyintf(x / scale) + static_cast<float>(zp);
    if (q != q) return static_cast<int8_t>(zp < -128 ? -128 : (zp > 127 ? 127 : zp));
    return static_cast<int8_t>(q < -128.0f ? -128 : (q > 127.0f ? 127 : static_cast<int32_t>(q)));
}

}  // namespace sdk
