// Reference kernels of the pooling and normalization ops (data movement: move.h). Each
// function is defined in its op's kernel file (kernels/ref/<op>[_f32].cpp), compiled only
// with that op.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/op.h"

namespace sdk {
namespace ref {

// GlobalAveragePool: y[p] = mean of x[p * spatial .. (p + 1) * spatial), p < planes.
void globalaveragepool_f32(const float* x, float* y, int64_t planes, int64_t spatial, ThreadPool* pool);

// LRN across channels of NC<spatial> data.
struct LrnParams {
    int32_t N, C;
    int64_t inner;  // product of the spatial dims
    int32_t size;
    float alpha, beta, bias;
};
void lrn_f32(const LrnParams& p, const float* x, float* y, ThreadPool* pool);

}  // namespace ref
}  // namespace sdk
