// fp32 scaled dot-product attention (kernels/ref/attention_f32.cpp), the engine's
// Attention op: per (batch, head), K^T and V are packed once into panels for the packed
// GEMM (kernels/ref/sgemm_f32.h: the x86/NEON tiles); then blocks of kAttnRows query rows
// get their scores [rows, L] = scale * Q K^T in a per-thread buffer, the bias (mask,
// causal / window frontier, key padding) and softmax are applied row by row in place,
// and Y [rows, Dv] = P V. Nothing larger than rows x L is materialised.
#pragma once

#include <stdint.h>

#include "core/op.h"

namespace sdk {
namespace ref {

constexpr int kAttnRows = 16;

struct AttentionF32Plan {
    int32_t batch, hq, hkv, s, l, d, dv;
    bool k_transposed;           // K given as [B, Hkv, D, L]
    float scale, softcap;        // softcap 0: none
    bool causal;
    int32_t offset;              // causal/window offset when there is no nonpad input
    int32_t left, right;         // window sizes, -1 unbounded
    int32_t qk_mode;             // 0..3 (see the ONNX Attention op), -1: no qk output
    // mask broadcast to [B, Hq, S, mask_l] (mask_l <= L; missing keys masked); strides in elements
    int32_t mask_kind;           // 0 none, 1 float (added), 2 bool (true = attend)
    int32_t mask_l;
    int64_t mask_sb, mask_sh, mask_ss;
    int32_t nonpad_kind;         // 0 none, 1 int64, 2 int32 [B]
};

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
// The softmax of one row of scores in place, 8 lanes (kernels/x86/attention_f32.cpp; taken
// when x86_sgemm_avx2_enabled()): the steps of the 4-lane row in attention_f32.cpp.
void x86_attn_softmax_row_avx2(float* sc, int64_t L);
#endif

size_t attention_f32_thread_scratch_bytes(const AttentionF32Plan& p);

// Inputs: q, k, v, mask (or nullptr), nonpad (or nullptr); outputs y, qk (or nullptr).
void attention_f32(const AttentionF32Plan& p, const float* q, const float* k, const float* v, const void* mask,
                   const void* nonpad, float* y, float* qk, const RunContext& ctx);

}  // namespace ref
}  // namespace sdk
