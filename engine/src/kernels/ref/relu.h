// Relu kernels (ref). x and y may be the same buffer (in-place).
#pragma once

#include <stdint.h>

#include "core/quant.h"

namespace sdk {

void relu_f32(const float* x, float* y, int64_t n);

// y = max(requant(x), zp_out) where requant maps x's quantization onto y's.
struct ReluS8Params {
    int32_t in_zero_point;
    int32_t out_zero_point;
    Requant requant;  // s_in / s_out
    bool identity;    // same scale and zero point: y = max(x, zp)
};
void relu_s8(const int8_t* x, int8_t* y, int64_t n, const ReluS8Params& p);

}  // namespace sdk
