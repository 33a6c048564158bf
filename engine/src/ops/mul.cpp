// Mul: A * B with numpy broadcasting (rank <= 6); f32, i32, i64 (wrapping), int8
// (kernels/ref/mul_s8.cpp: TFLite's scheme, one requantization of the int32 product).
// Output may reuse any same-size input that dies here (kOpInplaceAny): the kernels read
// element i of such an input before writing element i.
// sdk-kernels: binary
#include "ops/binary_op.h"
#if SDK_FEATURE_FP32 && SDK_FEATURE_NEON && defined(__ARM_NEON)
#include "kernels/ref/sgemm_f32.h"
#endif
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

#if SDK_FEATURE_FP32 && SDK_FEATURE_NEON && defined(__ARM_NEON)
// A squeeze-excitation scale ([N, C, 1, 1] * [N, C, H, W], or the other way round: the plan's
// two merged dims, one input a value per row) in one NEON call per thread chunk, not a row
// call each through the walker; anything else as before.
struct Scale {
    const float* s;
    const float* x;
    float* y;
    int64_t inner;
    bool s_first;
};

void scale_rows(void* arg, int64_t begin, int64_t end) {
    const Scale& j = *static_cast<const Scale*>(arg);
    neon_scale_rows_f32(j.s + begin, j.x + begin * j.inner, j.y + begin * j.inner, j.inner, end - begin, j.s_first);
}

sdk_status run(const RunContext& ctx) {
    const binary::Data& d = *static_cast<const binary::Data*>(ctx.op_data);
    const BroadcastPlan& p = d.b.plan;
    if (d.b.fn == row_f32 && p.rank == 2 && ref::neon_sgemm_enabled()) {
        const int k = p.st[0][1] == 0 ? 0 : 1;  // the input with one value per row
        if (p.st[k][0] == 1 && p.st[k][1] == 0 && p.st[1 - k][0] == p.dims[1] && p.st[1 - k][1] == 1) {
            Scale j = {static_cast<const float*>(ctx.in_data[k]), static_cast<const float*>(ctx.in_data[1 - k]),
                       static_cast<float*>(ctx.out_data[0]), p.dims[1], k == 0};
            const int64_t grain = (1 << 13) / p.dims[1];  // as the walker's rows
            parallel_for(ctx.pool, p.dims[0], grain < 1 ? 1 : grain, scale_rows, &j);
            return SDK_OK;
        }
    }
    return binary::run(ctx);
}
#else
inline sdk_status run(const RunContext& ctx) { return binary::run(ctx); }
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
extern const sdk::OpDef sdk_op_mul = {"Mul", sdk::prepare, sdk::run, sdk::kOpInplaceAny};
