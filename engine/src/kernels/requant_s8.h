// Int8 requantization shared by every int8 kernel and ISA (header-only).
//
// The scheme is TFLite's int8 one with a single rounding (TFLITE_SINGLE_ROUNDING): a real
// multiplier M (e.g. s_in * s_w / s_out, computed in double from the float32 scales) is a
// Q31 `mult` in [2^30, 2^31) and a power-of-two `shift`, M = mult * 2^(shift - 31), and
//     mbqm(x) = saturate_i32((x * mult + 2^(30 - shift)) >> (31 - shift))
// (one round-half-up). SIMD kernels reproduce this bit for bit (NEON: SQSHL + SQDMULH +
// SRSHL on 32-bit lanes, kernels/neon_s8.h; x86: 64-bit lanes), so every ISA gives the same
// int8 outputs. sdkbuild/convert/quantize.py
// holds the same arithmetic in numpy (`quantize_multiplier`, `mbqm`).
#pragma once

// `static inline` throughout: internal linkage, so the copy compiled into the ARMv8.2
// dotprod object (built with -march=armv8.2-a+dotprod) can never be the one the linker
// keeps for code that must run on ARMv8.0.

#include <math.h>
#include <stdint.h>

#include "core/op.h"

namespace sdk {
namespace s8 {

struct Mult {
    int32_t mult;   // Q31, 0 for "multiply by 0"
    int32_t shift;  // in [-31, 30]
};

static inline Mult quantize_multiplier(double real) {
    Mult r{0, 0};
    if (!(real > 0.0)) return r;
    int e = 0;
    const double q = frexp(real, &e);  // real = q * 2^e, q in [0.5, 1)
    int64_t m = llround(q * 2147483648.0);
    if (m == (int64_t(1) << 31)) {
        m /= 2;
        ++e;
    }
    if (e < -31) return r;
    if (e > 30) {
        r.mult = INT32_MAX;
        r.shift = 30;
        return r;
    }
    r.mult = static_cast<int32_t>(m);
    r.shift = e;
    return r;
}

static inline int32_t mbqm(int32_t x, int32_t mult, int32_t shift) {
    const int total = 31 - shift;  // 1..62
    const int64_t v = (static_cast<int64_t>(x) * mult + (int64_t(1) << (total - 1))) >> total;
    return v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : static_cast<int32_t>(v));
}

static inline int8_t clamp_s8(int32_t v, int32_t lo, int32_t hi) {
    return static_cast<int8_t>(v < lo ? lo : (v > hi ? hi : v));
}

// Real multiplier in_scale * w_scale / out_scale in double, in this order (as quantize.py).
static inline Mult conv_multiplier(float in_scale, float w_scale, float out_scale) {
    return quantize_multiplier(static_cast<double>(in_scale) * static_cast<double>(w_scale) /
                               static_cast<double>(out_scale));
}

// int8 bounds of a fused activation on an output with (scale, zp): Relu clamps at the
// zero point, Clip at round(bound / scale) + zp (float32 division, round half away).
// Other activations cannot be expressed as clamps: returns false.
static inline bool activation_bounds(int32_t kind, float lo, float hi, float scale, int32_t zp, int32_t* qlo,
                              int32_t* qhi) {
    *qlo = -128;
    *qhi = 127;
    if (kind == kActNone) return true;
    if (kind == kActRelu) {
        *qlo = zp > -128 ? (zp < 127 ? zp : 127) : -128;
        return true;
    }
    if (kind != kActClip) return false;
    if (isfinite(lo)) {
        float v = roundf(lo / scale) + static_cast<float>(zp);
        *qlo = v < -128.0f ? -128 : (v > 127.0f ? 127 : static_cast<int32_t>(v));
    }
    if (isfinite(hi)) {
        float v = roundf(hi / scale) + static_cast<float>(zp);
        *qhi = v < -128.0f ? -128 : (v > 127.0f ? 127 : static_cast<int32_t>(v));
    }
    return true;
}

}  // namespace s8
}  // namespace sdk
