// Mul: A * B with numpy broadcasting (rank <= 6); f32, i32, i64 (wrapping), int8
// (kernels/ref/mul_s8.cpp: TFLite's scheme, one requantization of the int32 product).
// Output may reuse any same-size input that dies here (kOpInplaceAny): the kernels read
// element i of such an input before writing element i.
// sdk-kernels: binary
#include "ops/binary_op.h"
#if SDK_FEATURE_INT8
#include "kernels/ops_s8.h"
#endif

namespace sdk {
namespace {

#if SDK_FEATURE_FP32
inline float mul_f(float a, float b) { return a * b; }

void row_f32(const void* const* in, const uint8_t* unit, void* y, int64_t n, const void* params) {
#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
    if (n >= 8 && ref::x86_sgemm_avx2_enabled())  // kernels/x86/binary_f32.cpp
        return x86::binary_row_f32_avx2(true, in, unit, y, n, nullptr);
#endif
#if SDK_FEATURE_NEON && defined(__ARM_NEON)  // kernels/neon/binary_f32.cpp
    if (neon_binary_row_f32(true, in, unit, static_cast<float*>(y), n, nullptr)) return;
#endif
    binary_row<float, float, mul_f>(in, unit, y, n, params);
}
#endif

sdk_status prepare(PrepareContext& ctx) {
    BroadcastPlan plan;
    sdk_status st = binary::check_shapes(ctx, &plan);
    if (st != SDK_OK) return st;
#if SDK_FEATURE_INT8
    if (ctx.input(0)->dtype == DType::I8) {
        if (ctx.input(1)->dtype != DType::I8 || ctx.output(0)->dtype != DType::I8)
            return ctx.fail(SDK_ERR_BAD_MODEL, "int8 Mul needs int8 inputs and output");
        binary::Data* d = opu::alloc_op_data<binary::Data>(ctx);
        if (!d) return SDK_ERR_OUT_OF_MEMORY;
        d->b.plan = plan;
        d->b.esize[0] = d->b.esize[1] = d->b.esize[2] = 1;
        return mul_s8_prepare(ctx, &d->b.fn, &d->b.params);
    }
#endif
    binary::Rows r;
#if SDK_FEATURE_FP32
    r.f32 = row_f32;
#endif
    r.i32 = binary_row_small<int32_t, int32_t, binary::wrap_mul<int32_t, uint32_t>>;
    r.i64 = binary_row_small<int64_t, int64_t, binary::wrap_mul<int64_t, uint64_t>>;
    return binary::prepare(ctx, plan, r, binary::kSameDType);
}

}  // namespace
}  // namespace sdk

// int8 too runs through binary::run: mul_s8_prepare fills the same op data (binary::Data)
extern const sdk::OpDef sdk_op_mul = {"Mul", sdk::prepare, sdk::binary::run, sdk::kOpInplaceAny};
