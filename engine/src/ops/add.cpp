// Add: A + B with numpy broadcasting (rank <= 6); f32 (fused `activation`), i32, i64
// (wrapping), int8 (same shapes, kernels/ref/add_s8.cpp).
// Output may reuse any same-size input that dies here (kOpInplaceAny): the kernels read
// element i of such an input before writing element i.
// sdk-kernels: binary
#include "ops/binary_op.h"
#if SDK_FEATURE_INT8
#include "kernels/ops_s8.h"  // int8 path: kernels/ref/add_s8.cpp
#endif

namespace sdk {
namespace {

#if SDK_FEATURE_FP32
inline float add_f(float a, float b) { return a + b; }

void row_f32(const void* const* in, const uint8_t* unit, void* y, int64_t n, const void* params) {
#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
    if (n >= 8 && ref::x86_sgemm_avx2_enabled())  // kernels/x86/binary_f32.cpp
        return x86::binary_row_f32_avx2(false, in, unit, y, n, static_cast<const ref::ActParams*>(params));
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)  // kernels/neon/binary_f32.cpp
    if (neon_binary_row_f32(false, in, unit, static_cast<float*>(y), n, static_cast<const ref::ActParams*>(params)))
        return;
#endif
    binary_row<float, float, add_f>(in, unit, y, n, params);
    ref::act_span_f32(static_cast<float*>(y), n, *static_cast<const ref::ActParams*>(params));
}
#endif

sdk_status prepare(PrepareContext& ctx) {
    BroadcastPlan plan;
    sdk_status st = binary::check_shapes(ctx, &plan);
    if (st != SDK_OK) return st;
#if SDK_FEATURE_INT8
    if (ctx.input(0)->dtype == DType::I8) return add_s8_prepare(ctx);
#endif
    binary::Rows r;
#if SDK_FEATURE_FP32
    r.f32 = row_f32;
#endif
    r.i32 = binary_row_small<int32_t, int32_t, binary::wrap_add<int32_t, uint32_t>>;
    r.i64 = binary_row_small<int64_t, int64_t, binary::wrap_add<int64_t, uint64_t>>;
    return binary::prepare(ctx, plan, r, binary::kSameDType, /*fused_activation=*/true);
}

sdk_status run(const RunContext& ctx) {
#if SDK_FEATURE_INT8
    if (ctx.input(0).dtype == DType::I8) return add_s8_run(ctx);
#endif
    return binary::run(ctx);
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_add = {"Add", sdk::prepare, sdk::run, sdk::kOpInplaceAny};
