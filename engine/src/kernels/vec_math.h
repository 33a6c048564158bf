// Vector math for the SIMD element-wise kernels (exp, sigmoid, tanh, erf, GELU,
// HardSwish), written once over a small vector interface `V` and instantiated per ISA:
// kernels/neon/vec_neon.h (ARMv7 and AArch64), kernels/x86/vec_x86.h (AVX2 + FMA,
// AVX-512F). Header-only; include it inside the ISA's target region (x86) so every
// function here is compiled for that ISA.
//
// Accuracy against the libm-based ref kernels (engine/tests/test_elementwise.cpp checks
// it on every ISA): exp ~2 ulp (Cephes range reduction and polynomial), tanh and erf a few
// ulp in absolute terms (Eigen's rational approximations: |err| < 5e-7), so sigmoid,
// SiLU and GELU are within ~1e-6 relative; HardSwish differs by FMA rounding at most.
// NaN in, NaN out.
//
// V provides: type F (float lanes), I (int32 lanes), M (mask), kLanes, and
//   set(float), load(p), store(p, v), add, sub, mul, fma(a, b, c) = a * b + c, div,
//   min, max, abs, floor, lt(a, b), gt(a, b), is_nan(a) (not `isnan`: a macro in
//   some libcs' math.h), sel(mask, a, b) = mask ? a : b,
//   cvt_i (float -> int32 of an integral value), pow2i(int32 n) = 2^n as float.
#pragma once

#include <stdint.h>

namespace sdk {
namespace vmath {

template <class V>
struct Math {
    using F = typename V::F;

    // exp(x): x = n ln2 + r, |r| <= ln2 / 2, exp(r) by a degree-6 polynomial (Cephes expf).
    static inline F exp(F x) {
        const F hi = V::set(88.3762626647949f), lo = V::set(-87.3365478515625f);
        F xc = V::min(V::max(x, lo), hi);
        // n <= 127: 2^n stays a normal float at the top of the range
        const F n = V::min(V::floor(V::fma(xc, V::set(1.44269504088896341f), V::set(0.5f))), V::set(127.0f));
        F r = V::fma(n, V::set(-0.693359375f), xc);
        r = V::fma(n, V::set(2.12194440e-4f), r);
        const F r2 = V::mul(r, r);
        F p = V::set(1.9875691500e-4f);
        p = V::fma(p, r, V::set(1.3981999507e-3f));
        p = V::fma(p, r, V::set(8.3334519073e-3f));
        p = V::fma(p, r, V::set(4.1665795894e-2f));
        p = V::fma(p, r, V::set(1.6666665459e-1f));
        p = V::fma(p, r, V::set(5.0000001201e-1f));
        p = V::add(V::fma(p, r2, r), V::set(1.0f));
        F y = V::mul(p, V::pow2i(V::cvt_i(n)));
        // beyond the clamps: +inf above exp's range, 0 below it (as expf)
        y = V::sel(V::gt(x, V::set(88.72283935546875f)), V::set(__builtin_inff()), y);
        y = V::sel(V::lt(x, V::set(-103.972084045410f)), V::set(0.0f), y);
        return V::sel(V::is_nan(x), x, y);
    }

    // 1 / (1 + exp(-x)).
    static inline F sigmoid(F x) {
        const F one = V::set(1.0f);
        return V::div(one, V::add(one, exp(V::sub(V::set(0.0f), x))));
    }

    // x * clamp(x / 6 + 1/2, 0, 1), the ref formula and compare order (NaN propagates: see
    // hardswish_f32 in kernels/ref/act_f32.h); x / 6 + 1/2 may round once (FMA) or twice.
    static inline F hardswish(F x) {
        F t = V::fma(x, V::set(1.0f / 6.0f), V::set(0.5f));
        t = V::sel(V::lt(t, V::set(0.0f)), V::set(0.0f), t);
        t = V::sel(V::gt(t, V::set(1.0f)), V::set(1.0f), t);
        return V::mul(x, t);
    }

    // tanh: odd rational function on [-7.9, 7.9] (saturated beyond), tiny x returned as is.
    static inline F tanh(F x) {
        const F c = V::set(7.90531110763549805f);
        const F xc = V::min(V::max(x, V::sub(V::set(0.0f), c)), c);
        const F x2 = V::mul(xc, xc);
        F p = V::set(-2.76076847742355e-16f);
        p = V::fma(p, x2, V::set(2.00018790482477e-13f));
        p = V::fma(p, x2, V::set(-8.60467152213735e-11f));
        p = V::fma(p, x2, V::set(5.12229709037114e-08f));
        p = V::fma(p, x2, V::set(1.48572235717979e-05f));
        p = V::fma(p, x2, V::set(6.37261928875436e-04f));
        p = V::fma(p, x2, V::set(4.89352455891786e-03f));
        p = V::mul(p, xc);
        F q = V::set(1.19825839466702e-06f);
        q = V::fma(q, x2, V::set(1.18534705686654e-04f));
        q = V::fma(q, x2, V::set(2.26843463243900e-03f));
        q = V::fma(q, x2, V::set(4.89352518554385e-03f));
        const F y = V::div(p, q);
        const typename V::M small = V::lt(V::abs(x), V::set(0.0004f));
        return V::sel(V::is_nan(x), x, V::sel(small, x, y));
    }

    // erf: odd rational function on [-4, 4] (+-1 beyond 3.9).
    static inline F erf(F x) {
        const F c = V::set(4.0f);
        const F xc = V::min(V::max(x, V::sub(V::set(0.0f), c)), c);
        const F x2 = V::mul(xc, xc);
        F p = V::set(-2.72614225801306e-10f);
        p = V::fma(p, x2, V::set(2.77068142495902e-08f));
        p = V::fma(p, x2, V::set(-2.10102402082508e-06f));
        p = V::fma(p, x2, V::set(-5.69250639462346e-05f));
        p = V::fma(p, x2, V::set(-7.34990630326855e-04f));
        p = V::fma(p, x2, V::set(-2.95459980854025e-03f));
        p = V::fma(p, x2, V::set(-1.60960333262415e-02f));
        p = V::mul(p, xc);
        F q = V::set(-1.45660718464996e-05f);
        q = V::fma(q, x2, V::set(-2.13374055278905e-04f));
        q = V::fma(q, x2, V::set(-1.68282697438203e-03f));
        q = V::fma(q, x2, V::set(-7.37332916720468e-03f));
        q = V::fma(q, x2, V::set(-1.42647390514189e-02f));
        // beyond |x| = 3.9 erf rounds to +-1 in float: exactly, whatever the rounding above
        F y = V::sel(V::gt(x, V::set(3.9f)), V::set(1.0f), V::div(p, q));
        y = V::sel(V::lt(x, V::set(-3.9f)), V::set(-1.0f), y);
        return V::sel(V::is_nan(x), x, y);
    }

    // GELU, exact form: x / 2 * (1 + erf(x / sqrt 2)).
    static inline F gelu(F x) {
        const F e = erf(V::mul(x, V::set(0.70710678118654752f)));
        return V::mul(V::mul(x, V::set(0.5f)), V::add(V::set(1.0f), e));
    }

    // GELU, tanh approximation: x / 2 * (1 + tanh(u)), u = sqrt(2 / pi) * (x + 0.044715 x^3),
    // computed as x * sigmoid(2u) (the same function): no cancellation in 1 + tanh(u) for
    // negative x, so it is at least as accurate as the ref formula.
    static inline F gelu_tanh(F x) {
        const F x3 = V::mul(V::mul(x, x), x);
        const F u2 = V::mul(V::set(2.0f * 0.79788456080286536f), V::fma(x3, V::set(0.044715f), x));
        return V::mul(x, sigmoid(u2));
    }
};

// y[i] = Fn(x[i]) over n floats, a vector at a time, the tail through a padded vector (one
// inlined copy of Fn: these functions are long). x and y may be the same buffer.
template <class V, typename V::F (*Fn)(typename V::F)>
inline void span(const float* x, float* y, int64_t n) {
    float buf[V::kLanes];
    for (int64_t i = 0; i < n; i += V::kLanes) {
        const int64_t m = n - i < V::kLanes ? n - i : V::kLanes;
        const float* src = x + i;
        float* dst = y + i;
        if (m < V::kLanes) {
            for (int k = 0; k < V::kLanes; ++k) buf[k] = k < m ? src[k] : 0.0f;
            src = dst = buf;
        }
        V::store(dst, Fn(V::load(src)));
        if (m < V::kLanes)
            for (int k = 0; k < m; ++k) y[i + k] = buf[k];
    }
}

}  // namespace vmath
}  // namespace sdk
