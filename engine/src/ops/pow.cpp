// Pow: A ^ B with numpy broadcasting (rank <= 6); f32 (powf), i32, i64 (exact, wrapping;
// a negative exponent gives 0 unless the base is 1 or -1). Both inputs have one dtype:
// the converter casts a mixed-type exponent.
// Output may reuse any same-size input that dies here (kOpInplaceAny).
// sdk-kernels: binary
#include <math.h>

#include "ops/binary_op.h"

namespace sdk {
namespace {

#if SDK_FEATURE_FP32
inline float pow_f(float a, float b) { return powf(a, b); }
#endif

template <class T, class U>
inline T pow_i(T a, T b) {
    if (b < 0) return a == 1 ? 1 : (a == -1 ? ((b & 1) ? -1 : 1) : 0);
    U r = 1, base = static_cast<U>(a);
    for (T e = b; e; e >>= 1) {  // square and multiply, wrapping
        if (e & 1) r *= base;
        base *= base;
    }
    return static_cast<T>(r);
}

sdk_status prepare(PrepareContext& ctx) {
    BroadcastPlan plan;
    sdk_status st = binary::check_shapes(ctx, &plan);
    if (st != SDK_OK) return st;
    binary::Rows r;
#if SDK_FEATURE_FP32
    r.f32 = binary_row<float, float, pow_f>;
#endif
    r.i32 = binary_row_small<int32_t, int32_t, pow_i<int32_t, uint32_t>>;
    r.i64 = binary_row_small<int64_t, int64_t, pow_i<int64_t, uint64_t>>;
    return binary::prepare(ctx, plan, r, binary::kSameDType);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_pow = {"Pow", sdk::prepare, sdk::binary::run, sdk::kOpInplaceAny};
