// Reference fp32 elementwise binary ops with numpy broadcasting (Add, Mul); kernel
// group "binary", shared by ops/add.cpp and ops/mul.cpp.
#pragma once

#include <stdint.h>

#include "core/op.h"
#include "kernels/ref/act_f32.h"

namespace sdk {

// Broadcast layout computed at load: dims of the output after dropping 1s and merging
// dimensions that are contiguous in both inputs; per input, element strides (0 where
// broadcast). The innermost stride of each input is then 0 or 1.
struct BroadcastPlan {
    int32_t rank;  // >= 1
    int64_t dims[kMaxRank];
    int64_t sa[kMaxRank];
    int64_t sb[kMaxRank];
    int64_t count;  // output elements
};

// Fills `p` from the input shapes; false when they do not broadcast. `out` = the
// broadcast output shape (rank = max of the ranks).
bool broadcast_plan(const Shape& a, const Shape& b, Shape* out, BroadcastPlan* p);

namespace ref {

enum BinaryKind : int32_t { kBinaryAdd = 0, kBinaryMul = 1 };

void binary_f32(BinaryKind kind, const BroadcastPlan& p, const ActParams& act, const float* a, const float* b,
                float* y, ThreadPool* pool);

}  // namespace ref
}  // namespace sdk
