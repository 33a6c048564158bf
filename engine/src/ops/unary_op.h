// The shared skeleton of the fp32 elementwise unary ops (Clip, Sigmoid, HardSwish): one
// input, output of the same shape, in place when the planner allows (kOpInplace), work
// split with parallel_for. Each op file supplies only its kernel and, for Clip, its
// attribute parsing; header-only, so an op left out of the build leaves nothing behind.
#pragma once

#include <math.h>

#include "core/op.h"
#include "ops/op_util.h"

namespace sdk {
namespace unary {

struct Params {
    float lo = -INFINITY;  // Clip's bounds; unused by the other ops
    float hi = INFINITY;
};

// Kernel over a contiguous range; x and y may be the same buffer.
typedef void (*Kernel)(const float* x, float* y, int64_t n, const Params& p);
// Reads and checks the op's attributes into *p (nullptr: the op has none).
typedef sdk_status (*ParseFn)(PrepareContext& ctx, Params* p);

constexpr int64_t kGrain = 16384;  // elements per chunk: smaller tensors stay on one thread

inline sdk_status prepare(PrepareContext& ctx, ParseFn parse) {
    sdk_status st = opu::check_arity(ctx, 1, 1, 1, 1);
    if (st != SDK_OK) return st;
    if ((st = ctx.check_output_shape(0, ctx.input(0)->shape)) != SDK_OK) return st;
    Params tmp;
    if (parse && (st = parse(ctx, &tmp)) != SDK_OK) return st;
    if ((st = opu::require_f32(ctx)) != SDK_OK) return st;  // also refuses builds without fp32 kernels
    Params* d = opu::alloc_op_data<Params>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    *d = tmp;
    return SDK_OK;
}

template <Kernel K>
sdk_status run(const RunContext& ctx) {
    struct Job {
        const RunContext* ctx;
        const Params* p;
    } job{&ctx, static_cast<const Params*>(ctx.op_data)};
    parallel_for(
        ctx.pool, ctx.output(0).shape.count(), kGrain,
        [](void* arg, int64_t begin, int64_t end) {
            const Job& j = *static_cast<const Job*>(arg);
            const float* x = static_cast<const float*>(j.ctx->in_data[0]);
            float* y = static_cast<float*>(j.ctx->out_data[0]);
            K(x + begin, y + begin, end - begin, *j.p);
        },
        &job);
    return SDK_OK;
}

}  // namespace unary
}  // namespace sdk
