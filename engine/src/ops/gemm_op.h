// The fp32 tail shared by Gemm and MatMul once each has built its GemmF32Plan: store the
// plan as op data, pack a constant B once at load (or ask for scratch to pack a computed
// B per run), and run the GEMM. Header-only, so an op left out leaves nothing behind.
#pragma once

#include "core/op.h"
#include "kernels/ref/gemm.h"
#include "ops/op_util.h"

namespace sdk {
namespace gemm_op {

inline sdk_status prepare_f32(PrepareContext& ctx, const ref::GemmF32Plan& p, const Tensor* b) {
    sdk_status st = opu::require_f32(ctx);  // also refuses builds without fp32 kernels
    if (st != SDK_OK) return st;
#if SDK_FEATURE_FP32
    ref::GemmF32Plan* d = opu::alloc_op_data<ref::GemmF32Plan>(ctx);
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    *d = p;
    size_t pb = ref::gemm_f32_packed_b_bytes(p);
    if (!ref::gemm_f32_needs_packed_b(p)) {
        // GEMV on B as stored: nothing to pack
    } else if ((b->flags & kTensorConstant) && b->const_data) {
        float* packed = static_cast<float*>(ctx.alloc(pb));
        if (!packed) return SDK_ERR_OUT_OF_MEMORY;
        ref::gemm_f32_pack_b(p, static_cast<const float*>(b->const_data), packed);
        d->packed_b = packed;
    } else {
        ctx.request_scratch(pb);
    }
    return SDK_OK;
#else
    (void)p, (void)b;
    return SDK_ERR_UNSUPPORTED;
#endif
}

// `c`: Gemm's bias (nullptr when absent, and always for MatMul).
inline sdk_status run_f32(const RunContext& ctx, const float* c) {
#if SDK_FEATURE_FP32
    const ref::GemmF32Plan& p = *static_cast<const ref::GemmF32Plan*>(ctx.op_data);
    ref::gemm_f32(p, ctx.in<float>(0), ctx.in<float>(1), c, ctx.out<float>(0), static_cast<float*>(ctx.scratch),
                  ctx.pool);
    return SDK_OK;
#else
    (void)ctx, (void)c;  // unreachable: prepare_f32 refuses every model without fp32 kernels
    return SDK_ERR_UNSUPPORTED;
#endif
}

}  // namespace gemm_op
}  // namespace sdk
