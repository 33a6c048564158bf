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

inline float sigmoid_f32(float x) { return 1.0f / (1.0f + expf(-x)); }

// ONNX HardSwish: x * max(0, min(1, x/6 + 1/2)).
inline float hardswish_f32(float x) {
    float t = x * (1.0f / 6.0f) + 0.5f;
    t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
    return x * t;
}

inline float silu_f32(float x) { return x * sigmoid_f32(x); }

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
        case kActSiLU: return silu_f32(x);
        default: return x;
    }
}

// y[i] = act(x[i]) for the transcendental activations (kind HardSwish, Sigmoid or SiLU),
// with the best SIMD kernels of the build (kernels/<isa>/common_f32_act*.cpp, accurate to
// ~1e-6 relative) or the scalar formulas above; x and y may be the same buffer. Compiled
// into every build with fp32 kernels (kernels/ref/common_f32_act.cpp).
void act_vec_f32(const float* x, float* y, int64_t n, int32_t kind);

// In place over n contiguous floats; one switch per span, not per element.
inline void act_span_f32(float* p, int64_t n, const ActParams& a) {
    switch (a.kind) {
        case kActRelu:
            for (int64_t i = 0; i < n; ++i) p[i] = p[i] > 0.0f ? p[i] : 0.0f;
            break;
        case kActClip:
            for (int64_t i = 0; i < n; ++i) p[i] = clip_f32(p[i], a.lo, a.hi);
            break;
        case kActHardSwish:
        case kActSigmoid:
        case kActSiLU: act_vec_f32(p, p, n, a.kind); break;
        default: break;
    }
}

}  // namespace ref
}  // namespace sdk
