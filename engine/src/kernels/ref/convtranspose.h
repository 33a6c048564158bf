// fp32 ConvTranspose (kernels/ref/convtranspose_f32.cpp): per image and group, blocks of
// input pixels go through the packed GEMM (kernels/ref/sgemm_f32.h, so the x86/NEON tiles)
// as columns = W_g^T [Cout_g*kh*kw, Cin_g] x X_g [Cin_g, block], then the columns are
// added into the output window positions (col2im) of their output channels. Work is split
// over output channels, so no two threads add into the same output element.
#pragma once

#include <stdint.h>

#include "core/op.h"

namespace sdk {
namespace ref {

struct ConvTransposeF32Plan {
    int32_t n, cin, h, w;      // input
    int32_t cout, oh, ow;      // output
    int32_t group, kh, kw;
    int32_t sh, sw, dh, dw, pt, pl;
    const float* wt;           // per group: [Cout_g * kh * kw, Cin_g], packed at load
};

constexpr int kConvTBlock = 256;  // input pixels per GEMM block
constexpr int kConvTChunk = 8;    // output channels per task

// Bytes of the transposed weights (ConvTransposeF32Plan::wt).
size_t convtranspose_f32_wt_bytes(const ConvTransposeF32Plan& p);
void convtranspose_f32_pack_w(const ConvTransposeF32Plan& p, const float* w, float* wt);
// Shared scratch (the packed input block) and per-thread scratch (columns) in bytes.
size_t convtranspose_f32_scratch_bytes(const ConvTransposeF32Plan& p);
size_t convtranspose_f32_thread_scratch_bytes(const ConvTransposeF32Plan& p);

void convtranspose_f32(const ConvTransposeF32Plan& p, const float* x, const float* bias, float* y, float* scratch,
                       const RunContext& ctx);

}  // namespace ref
}  // namespace sdk
