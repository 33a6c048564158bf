// The shared skeleton of the elementwise binary ops (Add, Mul): two inputs broadcast
// numpy-style to the output, fp32 through kernels/ref/binary_f32.cpp. Each op file adds
// its own dtype branches (Add's int8 path) and whether it takes a fused activation.
// Header-only, so an op left out of the build leaves nothing behind.
#pragma once

#include "core/op.h"
#include "kernels/ref/binary.h"
#include "ops/op_util.h"

namespace sdk {
namespace binary {

struct Data {
    BroadcastPlan plan;
    ref::ActParams act;
};

// Arity, broadcasting and the recorded output shape; fills `plan`.
inline sdk_status check_shapes(PrepareContext& ctx, BroadcastPlan* plan) {
    sdk_status st = opu::check_arity(ctx, 2, 2, 2, 1);
    if (st != SDK_OK) return st;
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    Shape out;
    if (!broadcast_plan(a->shape, b->shape, &out, plan)) {
        char sa[96], sb[96];
        shape_str(a->shape, sa, sizeof sa);
        shape_str(b->shape, sb, sizeof sb);
        return ctx.fail(SDK_ERR_BAD_MODEL, "input shapes %s ('%s') and %s ('%s') do not broadcast", sa, a->name, sb,
                        b->name);
    }
    return ctx.check_output_shape(0, out);
}

// The fp32 path's op data; `fused_activation`: read the `activation` attribute (Add).
inline sdk_status prepare_f32(PrepareContext& ctx, const BroadcastPlan& plan, bool fused_activation) {
    sdk_status st = opu::require_f32(ctx);  // also refuses builds without fp32 kernels
    if (st != SDK_OK) return st;
    Data* d = opu::alloc_op_data<Data>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    d->plan = plan;
    if (!fused_activation) {
        d->act.kind = kActNone;
        return SDK_OK;
    }
    return opu::parse_activation(ctx, &d->act);
}

inline sdk_status run_f32(const RunContext& ctx, ref::BinaryKind kind) {
#if SDK_FEATURE_FP32
    const Data& d = *static_cast<const Data*>(ctx.op_data);
    ref::binary_f32(kind, d.plan, d.act, ctx.in<float>(0), ctx.in<float>(1), ctx.out<float>(0), ctx.pool);
    return SDK_OK;
#else
    (void)ctx, (void)kind;  // unreachable: prepare_f32 refuses every model without fp32 kernels
    return SDK_ERR_UNSUPPORTED;
#endif
}

}  // namespace binary
}  // namespace sdk
