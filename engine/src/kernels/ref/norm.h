// Normalization kernels shared by LayerNormalization, RMSNormalization and
// GroupNormalization (InstanceNormalization converts to GroupNormalization): kernel group
// "layernormalization" (kernels/ref/layernormalization_f32.cpp).
//
// A row is normalized in two trips through it and no temporaries: one pass for the
// statistics (sum and sum of squares of x - x[0], in 8 vector lanes: shifting by the first
// element keeps the one-pass variance exact enough where the mean is large against the
// spread), one pass that writes y. GCC/Clang vector extensions: SSE on x86, NEON on ARM.
#pragma once

#include <stdint.h>

#include "core/op.h"

namespace sdk {
namespace ref {

// mean and 1/sqrt(var + eps) of x[0..n) (rms: mean 0, var = mean of squares).
void norm_stats_f32(const float* x, int64_t n, float eps, bool rms, float* mean, float* inv);

// y[i] = (x[i] - mean) * inv * scale[i] + bias[i] (scale, bias: nullptr = 1, 0).
void norm_apply_f32(const float* x, float* y, int64_t n, float mean, float inv, const float* scale,
                    const float* bias);

// y[i] = x[i] * a + c
void affine_f32(const float* x, float* y, int64_t n, float a, float c);

// y = x / max(||x||_p, 0) along a strided line of n elements (p 1 or 2; a zero norm gives 0s
// like onnxruntime: x / 0 would be NaN, ONNX's reference divides and gets NaN only for 0/0).
void lp_normalize_f32(const float* x, float* y, int64_t n, int64_t stride, int p);

}  // namespace ref
}  // namespace sdk
