// Fused activations (docs/sdkm-format.md, `activation`): applied by the op that carries
// them, in the same pass over its output, so they cost no extra trip through memory.
#pragma once

#include <math.h>
#include <stdint.h>

#include "core/op.h"

namespace sdk {
namespace ref {

struct ActParams {
    int32_t kind;  // sdk::Activation
    float lo, hi;  // Clip bounds (kActClip only)
};

// exp(x) for float lanes: Cody-Waite range reduction x = n ln2 + r, |r| <= ln2 / 2, a
// degree-6 polynomial for exp(r) (Cephes expf's coefficients, ~1 ulp) and 2^n built in the
// exponent bits; x clamped to [-87.3, 88.4] (no Inf, no denormals). One formula for the
// vector lanes and the scalar form below, so every kernel that applies a Sigmoid/SiLU
// (fused or not, SIMD or ref) gets the same bits for the same input (the AVX2 span: within
// an ulp, FMA). NaN stays NaN.
typedef float act_v4f __attribute__((vector_size(16)));
typedef int32_t act_v4i __attribute__((vector_size(16)));

// m ? a : b per lane as bit operations (vector ?: is not in every Clang we build with).
// Templates over the vector width: 4 lanes here, 8 in the AVX2 span (kernels/x86). They are
// always inlined, so the 32-byte-vector "ABI change" GCC warns about never meets a call.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
template <class V, class I>
__attribute__((always_inline)) inline V act_select(I m, V a, V b) {
    return (V)((m & (I)a) | (~m & (I)b));
}

template <class V, class I>
__attribute__((always_inline)) inline V exp_vec(V x) {
    const V zero = {};  // not x - x: that is NaN for an infinite x, and the clamps would never apply
    const V hi = zero + 88.0f, lo = zero - 87.3365447504f;
    x = act_select<V, I>(x > hi, hi, x);  // NaN compares false and passes through
    x = act_select<V, I>(x < lo, lo, x);
    const V magic = zero + 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
    const V n = (x * 1.44269504088896341f + magic) - magic;
    V r = x - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    V p = r * 1.9875691500e-4f + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    const I e = (__builtin_convertvector(n, I) + 127) << 23;
    return p * (V)e;
}

// 1 / (1 + exp(-x)) and x * that (SiLU).
template <class V, class I>
__attribute__((always_inline)) inline V sigmoid_vec(V x) {
    const V zero = {};
    const V one = zero + 1.0f;
    V r = one / (one + exp_vec<V, I>(-x));
    // below -88 the clamped exp would leave ~6e-39, which a huge x times it (SiLU) makes
    // large: the true value underflows to 0 there, as 1 / (1 + expf(-x)) does
    r = act_select<V, I>(x < zero - 88.0f, zero, r);
    return act_select<V, I>(x == x, r, x);  // NaN in, NaN out
}
__attribute__((always_inline)) inline act_v4f sigmoid_v4(act_v4f x) { return sigmoid_vec<act_v4f, act_v4i>(x); }
__attribute__((always_inline)) inline act_v4f silu_v4(act_v4f x) { return x * sigmoid_v4(x); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
// 8 lanes with AVX2 + FMA (kernels/x86/common_f32.cpp), taken by sigmoid_span_f32 when the
// AVX2 fp32 tier is on; FMA contraction makes it differ from the 4-lane form by an ulp.
bool x86_sgemm_avx2_enabled();
void x86_sigmoid_span_avx2(const float* x, float* y, int64_t n, bool silu);
#endif

#if SDK_FEATURE_NEON && defined(__ARM_NEON) && !defined(__aarch64__)
// ARMv7: the formula above on NEON (kernels/neon/common_f32_act.cpp), taken while the fp32
// NEON tier is on: GCC runs the generic vectors as scalar VFP code there.
bool neon_sgemm_enabled();
void neon_sigmoid_span_v7(const float* x, float* y, int64_t n, bool silu);
#endif
#if SDK_FEATURE_NEON && defined(__aarch64__)
// AArch64: the formula above in NEON intrinsics with GCC's FMA contractions of the generic
// form made explicit (the same bits), 36 instructions a vector instead of 45
// (kernels/neon/common_f32_act.cpp), taken on every tier (the same bits as the portable loop).
void neon_sigmoid_span_a64(const float* x, float* y, int64_t n, bool silu);
#endif

// The scalar forms: lane 0 of the vector formula (the same bits).
inline float sigmoid_f32(float x) {
    act_v4f v = {x, x, x, x};
    return sigmoid_v4(v)[0];
}
inline float silu_f32(float x) {
    act_v4f v = {x, x, x, x};
    return silu_v4(v)[0];
}

// Sigmoid (silu = false) or SiLU over n floats, in place allowed (y may equal x).
inline void sigmoid_span_f32(const float* x, float* y, int64_t n, bool silu) {
#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
    if (n >= 8 && x86_sgemm_avx2_enabled()) return x86_sigmoid_span_avx2(x, y, n, silu);
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON) && !defined(__aarch64__)
    if (neon_sgemm_enabled()) return neon_sigmoid_span_v7(x, y, n, silu);
#endif
#if SDK_FEATURE_NEON && defined(__aarch64__)
    // always: the same bits as the loop below (left out of AArch64 builds: -~300 B on arm64)
    return neon_sigmoid_span_a64(x, y, n, silu);
#else
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        act_v4f v;
        __builtin_memcpy(&v, x + i, sizeof v);
        v = silu ? silu_v4(v) : sigmoid_v4(v);
        __builtin_memcpy(y + i, &v, sizeof v);
    }
    if (i < n) {
        act_v4f v = {0.0f, 0.0f, 0.0f, 0.0f};
        __builtin_memcpy(&v, x + i, (size_t)(n - i) * sizeof(float));
        v = silu ? silu_v4(v) : sigmoid_v4(v);
        __builtin_memcpy(y + i, &v, (size_t)(n - i) * sizeof(float));
    }
#endif
}

// HardSwish over n floats with the best SIMD kernel of the build (NEON, AVX2, AVX-512:
// kernels/<isa>/common_f32_act*.cpp; the scalar formula below otherwise or with
// SDK_F32_GEMM=ref), in place allowed: the HardSwish op and the fused activation. Compiled
// into every build with fp32 kernels (kernels/ref/common_f32_act.cpp).
void hardswish_span_f32(const float* x, float* y, int64_t n);

// ONNX HardSwish: x * max(0, min(1, x/6 + 1/2)).
inline float hardswish_f32(float x) {
    float t = x * (1.0f / 6.0f) + 0.5f;
    t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
    return x * t;
}

inline float clip_f32(float x, float lo, float hi) {
    // Written so a NaN input stays NaN, like onnxruntime.
    return x < lo ? lo : (x > hi ? hi : x);
}

inline float act_f32(float x, const ActParams& a) {
    switch (a.kind) {
        case kActRelu: return x > 0.0f ? x : 0.0f;
        case kActClip: return clip_f32(x, a.lo, a.hi);
        case kActHardSwish: return hardswish_f32(x);
        case kActSigmoid: return sigmoid_f32(x);
        case kActSilu: return silu_f32(x);
        default: return x;
    }
}

// In place over n contiguous floats; one switch per span, not per element. Never inlined:
// the GEMM/conv epilogues call it from many sites, and each inlined copy would carry the
// Sigmoid/SiLU vector loops (+20 KB on arm64 when it was).
__attribute__((noinline)) inline void act_span_f32(float* p, int64_t n, const ActParams& a) {
    switch (a.kind) {
        case kActRelu:
            for (int64_t i = 0; i < n; ++i) p[i] = p[i] > 0.0f ? p[i] : 0.0f;
            break;
        case kActClip:
            for (int64_t i = 0; i < n; ++i) p[i] = clip_f32(p[i], a.lo, a.hi);
            break;
        case kActHardSwish: hardswish_span_f32(p, p, n); break;
        case kActSigmoid:
        case kActSilu:
            sigmoid_span_f32(p, p, n, a.kind == kActSilu);
            break;
        default: break;
    }
}

}  // namespace ref
}  // namespace sdk
