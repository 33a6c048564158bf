// Reference fp32 Gemm/MatMul: Y = act(alpha * A' * B' + beta * C), A' = transA ? A^T : A.
// Shared by ops/gemm.cpp and ops/matmul.cpp (kernel group "gemm").
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/op.h"
#include "kernels/ref/act_f32.h"

namespace sdk {
namespace ref {

struct GemmF32Plan {
    int32_t M, N, K;
    bool transA, transB;
    float alpha, beta;
    ActParams act;
    // C broadcast to [M, N]: element (m, n) is C[m * c_rs + n * c_cs]; has_c false when
    // C is absent or beta is 0.
    bool has_c;
    int64_t c_rs, c_cs;
    // B packed at load when it is a constant (gemm_f32_pack_b); nullptr = pack per run
    // into scratch.
    const float* packed_b;
};

// A single row of A (batch-1 fully connected layers) runs as a GEMV straight on B's own
// layout: B is streamed once either way, and packing it would double the memory of the
// largest weights in many models (e.g. a 1280x1000 classifier). Otherwise B is packed.
inline bool gemm_f32_needs_packed_b(const GemmF32Plan& p) { return p.M > 1; }

// Bytes of packed B (also the scratch a run needs when B is not constant).
size_t gemm_f32_packed_b_bytes(const GemmF32Plan& p);
void gemm_f32_pack_b(const GemmF32Plan& p, const float* b, float* out);

void gemm_f32(const GemmF32Plan& p, const float* a, const float* b, const float* c, float* y, float* scratch,
              ThreadPool* pool);

}  // namespace ref
}  // namespace sdk
