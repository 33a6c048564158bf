// The shared skeleton of the element-wise unary ops (Abs, Exp, Sigmoid, Gelu, Clip, ...):
// one input, output of the same shape, in place when the planner allows (kOpInplace), work
// split with parallel_for. Each op file supplies its attribute parsing (if any) and its
// kernel per dtype; prepare() picks the kernel once (the best SIMD one for f32), so one
// run() serves every op. Header-only, so an op left out of the build leaves nothing behind.
//
// int8: an op that allows it (Kernels::lut) also takes an int8 input with per-tensor
// quantization plus a constant int8 table of 256 entries as input 1 (the converter's
// quantizer computes it from the op's fp32 meaning and the two quantizations):
// y = table[x + 128]. Exact by construction, the same on every ISA.
#pragma once

#include <math.h>

#include "core/op.h"
#include "ops/op_util.h"
#if SDK_FEATURE_INT8 && SDK_FEATURE_NEON && defined(__ARM_NEON)
#include "kernels/neon/lut_s8.h"
#endif

namespace sdk {
#if SDK_FEATURE_INT8 && SDK_FEATURE_X86
namespace s8 {  // kernels/x86/common_s8_lut.cpp
bool lut_s8_vbmi_ok();
int64_t lut_s8_vbmi(const int8_t* x, int8_t* y, int64_t n, const int8_t* table);
}  // namespace s8
#endif
namespace unary {

struct Params {
    float lo = -INFINITY;  // Clip's bounds
    float hi = INFINITY;
    float alpha = 0.0f, beta = 0.0f, gamma = 0.0f;  // the op's float attributes, by op
    const int8_t* table = nullptr;                  // int8 lookup table (256 entries)
};

// Kernel over n contiguous elements; x and y may be the same buffer.
typedef void (*Kernel)(const void* x, void* y, int64_t n, const Params& p);
// Reads and checks the op's attributes into *p (nullptr: the op has none).
typedef sdk_status (*ParseFn)(PrepareContext& ctx, Params* p);

// The kernels an op has, per input dtype (nullptr: that dtype is not supported). The
// output has the input's dtype, except for `to_bool` ops (IsNaN, IsInf).
struct Kernels {
    Kernel f32 = nullptr;
    Kernel i32 = nullptr;
    Kernel i64 = nullptr;
    Kernel b8 = nullptr;   // bool
    bool lut = false;      // int8 through a 256-entry table (see above)
    bool to_bool = false;  // a predicate: the output is bool (IsNaN, IsInf)
};

struct Data {
    Params p;
    Kernel k;
    uint8_t ein, eout;  // element sizes
};

constexpr int64_t kGrain = 8192;  // elements per chunk: tensors below 2 chunks stay on one thread

#if SDK_FEATURE_INT8
// NEON: 16 (ARMv7: 32) lookups per step (kernels/neon/lut_s8.h).
inline void lut_s8(const void* x, void* y, int64_t n, const Params& p) {
    const uint8_t* a = static_cast<const uint8_t*>(x);
    int8_t* b = static_cast<int8_t*>(y);
    int64_t i = 0;
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    i = s8::lut256_neon(p.table, static_cast<const int8_t*>(x), b, n);
#endif
    for (; i < n; ++i) b[i] = p.table[a[i] ^ 0x80u];  // int8 v -> index v + 128
}
#if SDK_FEATURE_X86
inline void lut_s8_x86(const void* x, void* y, int64_t n, const Params& p) {
    s8::lut_s8_vbmi(static_cast<const int8_t*>(x), static_cast<int8_t*>(y), n, p.table);
}
#endif
#endif

inline sdk_status prepare(PrepareContext& ctx, ParseFn parse, const Kernels& ks) {
    const Tensor* x = ctx.input(0);
    const bool lut = ks.lut && x && x->dtype == DType::I8 && ctx.num_inputs() == 2;
    sdk_status st = opu::check_arity(ctx, 1, lut ? 2 : 1, lut ? 2 : 1, 1);
    if (st != SDK_OK) return st;
    const Tensor* y = ctx.output(0);
    if ((st = ctx.check_output_shape(0, x->shape)) != SDK_OK) return st;
    if ((st = opu::check_dtype_supported(ctx, *x)) != SDK_OK) return st;
    Params tmp;
    if (parse && (st = parse(ctx, &tmp)) != SDK_OK) return st;
    Kernel k = nullptr;
    switch (x->dtype) {
        case DType::F32: k = ks.f32; break;
        case DType::I32: k = ks.i32; break;
        case DType::I64: k = ks.i64; break;
        case DType::BOOL: k = ks.b8; break;
        default: break;
    }
#if SDK_FEATURE_INT8
    if (lut) {
        const Tensor* t = ctx.input(1);
        float s;
        int32_t z;
        if (!t || !(t->flags & kTensorConstant) || t->dtype != DType::I8 || t->shape.count() != 256)
            return ctx.fail(SDK_ERR_BAD_MODEL, "int8 input needs a constant int8 table of 256 entries as input 1");
        if (!opu::per_tensor_quant(*x, &s, &z) || !opu::per_tensor_quant(*y, &s, &z))
            return ctx.fail(SDK_ERR_BAD_MODEL, "int8 input and output need per-tensor quantization");
        tmp.table = static_cast<const int8_t*>(t->const_data);
        k = lut_s8;
#if SDK_FEATURE_X86
        if (s8::lut_s8_vbmi_ok()) k = lut_s8_x86;
#endif
    }
#endif
    if (!k) {
        if (x->dtype == DType::I8 && ks.lut)
            return ctx.fail(SDK_ERR_BAD_MODEL, "int8 input '%.64s' needs its 256-entry table as input 1 (convert the "
                            "model again)", x->name);
        return ctx.fail(SDK_ERR_UNSUPPORTED, "input '%.64s' is %s; this op does not compute with it", x->name,
                        dtype_name(x->dtype));
    }
    const DType want = ks.to_bool ? DType::BOOL : x->dtype;
    if (y->dtype != want)
        return ctx.fail(SDK_ERR_BAD_MODEL, "output dtype is %s; expected %s", dtype_name(y->dtype), dtype_name(want));
    Data* d = opu::alloc_op_data<Data>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    d->p = tmp;
    d->k = k;
    d->ein = static_cast<uint8_t>(dtype_size(x->dtype));
    d->eout = static_cast<uint8_t>(dtype_size(want));
    return SDK_OK;
}

inline sdk_status run(const RunContext& ctx) {
    struct Job {
        const RunContext* ctx;
        const Data* d;
    } job{&ctx, static_cast<const Data*>(ctx.op_data)};
    parallel_for(
        ctx.pool, ctx.output(0).shape.count(), kGrain,
        [](void* arg, int64_t begin, int64_t end) {
            const Job& j = *static_cast<const Job*>(arg);
            const char* x = static_cast<const char*>(j.ctx->in_data[0]) + begin * j.d->ein;
            char* y = static_cast<char*>(j.ctx->out_data[0]) + begin * j.d->eout;
            j.d->k(x, y, end - begin, j.d->p);
        },
        &job);
    return SDK_OK;
}

// Kernel of a scalar function y = F(x) (float), or F(x, p) when the op has parameters.
template <float (*F)(float)>
void map_f32(const void* x, void* y, int64_t n, const Params&) {
    const float* a = static_cast<const float*>(x);
    float* b = static_cast<float*>(y);
    for (int64_t i = 0; i < n; ++i) b[i] = F(a[i]);
}
template <float (*F)(float, const Params&)>
void map_f32p(const void* x, void* y, int64_t n, const Params& p) {
    const float* a = static_cast<const float*>(x);
    float* b = static_cast<float*>(y);
    for (int64_t i = 0; i < n; ++i) b[i] = F(a[i], p);
}
template <class T, T (*F)(T)>
void map(const void* x, void* y, int64_t n, const Params&) {
    const T* a = static_cast<const T*>(x);
    T* b = static_cast<T*>(y);
    for (int64_t i = 0; i < n; ++i) b[i] = F(a[i]);
}

// The whole prepare of an op from its parts: its f32 kernel K (SIMD or scalar), its
// attribute parser (nullptr: none), int8 through the 256-entry table (kLut), a bool output
// (kToBool). An op file is then its kernel, its parser and its OpDef.
template <Kernel K, ParseFn Parse = nullptr, bool kLut = false, bool kToBool = false>
sdk_status prepare_with(PrepareContext& ctx) {
    Kernels k;
#if SDK_FEATURE_FP32
    k.f32 = K;
#endif
    k.lut = kLut;
    k.to_bool = kToBool;
    return prepare(ctx, Parse, k);
}

// Likewise for an op that is one float function F (Ceil, Sqrt, Erf, ...), and one whose
// function takes its attributes, read by Parse (Elu, Selu, ...).
template <float (*F)(float), bool kLut = false>
sdk_status prepare_f32(PrepareContext& ctx) {
    return prepare_with<map_f32<F>, nullptr, kLut>(ctx);
}
template <float (*F)(float, const Params&), ParseFn Parse, bool kLut = false>
sdk_status prepare_f32p(PrepareContext& ctx) {
    return prepare_with<map_f32p<F>, Parse, kLut>(ctx);
}

}  // namespace unary
}  // namespace sdk
