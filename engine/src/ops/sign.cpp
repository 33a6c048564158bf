// Sign: y = -1, 0 or 1 by the sign of x (f32, i32, i64; NaN stays NaN).
// Element-wise, in place when allowed (ops/unary_op.h).
#include <math.h>

#include "ops/unary_op.h"

namespace sdk {
namespace {

#if SDK_FEATURE_FP32
inline float f32(float x) { return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : x); }
#endif

template <class T, class U>
inline T integer(T x) { return (T)(x > 0 ? 1 : (x < 0 ? -1 : 0)); }

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

extern const sdk::OpDef sdk_op_sign = {"Sign", sdk::prepare, sdk::unary::run, sdk::kOpInplace};
