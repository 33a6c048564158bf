// Abs: y = |x| (f32, i32, i64; integers wrap: |INT_MIN| = INT_MIN, as numpy).
// Element-wise, in place when allowed (ops/unary_op.h).
#include <math.h>

#include "ops/unary_op.h"

namespace sdk {
namespace {

#if SDK_FEATURE_FP32
inline float f32(float x) { return fabsf(x); }
#endif

template <class T, class U>
inline T integer(T x) { return (T)(x < 0 ? (T)(0 - (U)x) : x); }

sdk_status prepare(PrepareContext& ctx) {
    unary::Kernels k;
#if SDK_FEATURE_FP32
    k.f32 = unary::map_f32<f32>;
#endif
    k.i32 = unary::map<int32_t, integer<int32_t, uint32_t>>;
    k.i64 = unary::map<int64_t, integer<int64_t, uint64_t>>;
    return unary::prepare(ctx, nullptr, k);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_abs = {"Abs", sdk::prepare, sdk::unary::run, sdk::kOpInplace};
