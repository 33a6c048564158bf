// Reference fp32 2-D pooling (NCHW): MaxPool (kernels/ref/maxpool_f32.cpp) and
// AveragePool (kernels/ref/averagepool_f32.cpp).
#pragma once

#include <stdint.h>

#include "core/op.h"

namespace sdk {
namespace ref {

struct PoolParams {
    int32_t N, C, H, W, OH, OW;
    int32_t KH, KW, sh, sw, dh, dw;
    int32_t pt, pl, pb, pr;
    bool count_include_pad;  // AveragePool only
};

void maxpool_f32(const PoolParams& p, const float* x, float* y, ThreadPool* pool);
void averagepool_f32(const PoolParams& p, const float* x, float* y, ThreadPool* pool);

}  // namespace ref
}  // namespace sdk
