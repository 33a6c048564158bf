// Reference kernels of TopK (kernels/ref/topk.cpp) and CumSum (kernels/ref/cumsum.cpp),
// along the middle axis of (outer, n, inner); dtype F32, I32 or I64.
#pragma once

#include <stdint.h>

#include "core/op.h"

namespace sdk {
namespace ref {

struct TopKParams {
    int64_t outer, n, inner, k;
    bool largest;
    DType dtype;
};
// Values (x's dtype) and int64 indices of the k largest (smallest) along the axis, best
// first; equal values by increasing index. Needs k * 16 bytes of per-thread scratch.
void topk(const TopKParams& p, const void* x, void* values, int64_t* indices, const RunContext& ctx);

struct CumSumParams {
    int64_t outer, n, inner;
    bool exclusive, reverse;
    DType dtype;
};
void cumsum(const CumSumParams& p, const void* x, void* y);

}  // namespace ref
}  // namespace sdk
