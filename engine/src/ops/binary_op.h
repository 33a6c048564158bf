// The shared skeleton of the broadcasting element-wise ops (Add, Sub, Mul, Div, Pow, Min,
// Max, PRelu, the comparisons, And/Or/Xor): two inputs of one dtype broadcast numpy-style
// to the output, one row kernel per dtype (kernels/ref/binary.h), one shared run().
// prepare() picks the row kernel once. Each op file lists its kernels and adds its own
// dtype branches (Add's and Mul's int8 paths) and whether it takes a fused activation.
// Header-only, so an op left out of the build leaves nothing behind.
#pragma once

#include "core/op.h"
#include "kernels/ref/act_f32.h"
#include "kernels/ref/binary.h"
#include "ops/op_util.h"

namespace sdk {
namespace binary {

// Row kernels per input dtype (nullptr: not supported).
struct Rows {
    RowFn f32 = nullptr;
    RowFn i32 = nullptr;
    RowFn i64 = nullptr;
    RowFn b8 = nullptr;
};

enum OutKind { kSameDType = 0, kBool = 1 };

struct Data {
    Broadcast b;
    ref::ActParams act;  // the f32 row kernel's parameters (Add's fused activation)
};

// Arity, broadcasting and the recorded output shape; fills `plan`.
inline sdk_status check_shapes(PrepareContext& ctx, BroadcastPlan* plan, int n = 2) {
    sdk_status st = opu::check_arity(ctx, n, n, n, 1);
    if (st != SDK_OK) return st;
    const Shape* in[kMaxBroadcastInputs];
    for (int k = 0; k < n; ++k) in[k] = &ctx.input(k)->shape;
    Shape out;
    if (!broadcast_plan(in, n, &out, plan)) {
        char sa[96], sb[96];
        shape_str(*in[0], sa, sizeof sa);
        shape_str(*in[n - 1], sb, sizeof sb);
        return ctx.fail(SDK_ERR_BAD_MODEL, "input shapes %s ('%s') and %s ('%s') do not broadcast", sa,
                        ctx.input(0)->name, sb, ctx.input(n - 1)->name);
    }
    // A scalar constant is stored with shape [1] (.sdkm has no rank-0 data): with scalar
    // inputs the recorded output may lack the leading 1s that adds. Same elements, same order.
    const Shape& rec = ctx.output(0)->shape;
    if (rec.rank < out.rank && rec.count() == out.count()) {
        bool ones = true;
        for (int i = 0; i < out.rank - rec.rank; ++i) ones = ones && out.dims[i] == 1;
        for (int i = 0; ones && i < rec.rank; ++i) ones = out.dims[out.rank - rec.rank + i] == rec.dims[i];
        if (ones) out = rec;
    }
    return ctx.check_output_shape(0, out);
}

// Parameter-free rows of one dtype; `fused_activation`: read the `activation` attribute
// (f32 only; the row kernel applies it, see add.cpp).
inline sdk_status prepare(PrepareContext& ctx, const BroadcastPlan& plan, const Rows& rows, OutKind out_kind,
                          bool fused_activation = false) {
    const Tensor& a = *ctx.input(0);
    const Tensor& b = *ctx.input(1);
    const Tensor& y = *ctx.output(0);
    sdk_status st = opu::check_dtype_supported(ctx, a);
    if (st != SDK_OK) return st;
    if (b.dtype != a.dtype)
        return ctx.fail(SDK_ERR_BAD_MODEL, "inputs have different dtypes (%s and %s)", dtype_name(a.dtype),
                        dtype_name(b.dtype));
    RowFn fn = nullptr;
    switch (a.dtype) {
        case DType::F32: fn = rows.f32; break;
        case DType::I32: fn = rows.i32; break;
        case DType::I64: fn = rows.i64; break;
        case DType::BOOL: fn = rows.b8; break;
        default: break;
    }
    if (!fn)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "input '%.64s' is %s; this op does not compute with it", a.name,
                        dtype_name(a.dtype));
    const DType want = out_kind == kBool ? DType::BOOL : a.dtype;
    if (y.dtype != want)
        return ctx.fail(SDK_ERR_BAD_MODEL, "output is %s; expected %s", dtype_name(y.dtype), dtype_name(want));
    if (a.quant || b.quant)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "quantized inputs need this op's int8 path, which it has not");
    Data* d = opu::alloc_op_data<Data>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    d->b.plan = plan;
    d->b.fn = fn;
    d->b.params = &d->act;
    d->b.esize[0] = d->b.esize[1] = static_cast<uint8_t>(dtype_size(a.dtype));
    d->b.esize[2] = static_cast<uint8_t>(dtype_size(want));
    d->act.kind = kActNone;
    if (fused_activation && a.dtype == DType::F32) return opu::parse_activation(ctx, &d->act);
    int32_t kind = kActNone;
    if ((st = opu::int_attr(ctx, "activation", kActNone, &kind)) != SDK_OK) return st;
    if (kind != kActNone)
        return ctx.fail(SDK_ERR_BAD_MODEL, "a fused activation is only taken by f32 Add (and Conv, Gemm)");
    return SDK_OK;
}

inline sdk_status run(const RunContext& ctx) {
    const Data& d = *static_cast<const Data*>(ctx.op_data);
    broadcast_run(d.b, ctx.in_data, ctx.out_data[0], ctx.pool);
    return SDK_OK;
}

// Wrapping integer arithmetic (no signed-overflow UB): two's complement, as numpy.
template <class T, class U>
inline T wrap_add(T a, T b) { return static_cast<T>(static_cast<U>(a) + static_cast<U>(b)); }
template <class T, class U>
inline T wrap_sub(T a, T b) { return static_cast<T>(static_cast<U>(a) - static_cast<U>(b)); }
template <class T, class U>
inline T wrap_mul(T a, T b) { return static_cast<T>(static_cast<U>(a) * static_cast<U>(b)); }

}  // namespace binary
}  // namespace sdk
