// fp32 element-wise kernels with SIMD versions: the scalar ref kernel of each (libm, the
// portable truth the SIMD kernels are tested against), the ISA versions, and the
// dispatchers the ops call (the best kernel the build and CPU have; SDK_F32_GEMM=ref
// selects the scalar ones, like the GEMM tiers). x and y may be the same buffer.
//   Sigmoid, SiLU: sigmoid_span_f32 (kernels/ref/act_f32.h: 4 float lanes, 8 with AVX2,
//     the same formula in every kernel that applies them, fused or not);
//   HardSwish: hardswish_span_f32 (kernels/ref/act_f32.h; SIMD in
//     kernels/<isa>/common_f32_act*.cpp, as Conv/Gemm/Add apply it as a fused activation);
//   Tanh, Exp, Gelu: kernels/<isa>/<op>_f32*.cpp, dispatched by <op>_best_f32 in the ref
//     kernel file.
#pragma once

#include <stdint.h>

namespace sdk {
namespace ref {

void clip_f32(const float* x, float* y, int64_t n, float lo, float hi);
void sigmoid_f32(const float* x, float* y, int64_t n);
void hardswish_f32(const float* x, float* y, int64_t n);
void silu_f32(const float* x, float* y, int64_t n);
void tanh_f32(const float* x, float* y, int64_t n);
void exp_f32(const float* x, float* y, int64_t n);
// approximate: 0 exact (erf), 1 tanh
void gelu_f32(const float* x, float* y, int64_t n, int approximate);

}  // namespace ref

void tanh_best_f32(const float* x, float* y, int64_t n);
void exp_best_f32(const float* x, float* y, int64_t n);
void gelu_best_f32(const float* x, float* y, int64_t n, int approximate);

// The SIMD kernels (same contracts), compiled with their op and ISA.
namespace neon {
void hardswish_f32(const float* x, float* y, int64_t n);
void tanh_f32(const float* x, float* y, int64_t n);
void exp_f32(const float* x, float* y, int64_t n);
void gelu_f32(const float* x, float* y, int64_t n, int approximate);
}  // namespace neon
namespace x86 {
void hardswish_avx2(const float* x, float* y, int64_t n);
void hardswish_avx512(const float* x, float* y, int64_t n);
void tanh_avx2(const float* x, float* y, int64_t n);
void tanh_avx512(const float* x, float* y, int64_t n);
void exp_avx2(const float* x, float* y, int64_t n);
void exp_avx512(const float* x, float* y, int64_t n);
void gelu_avx2(const float* x, float* y, int64_t n, int approximate);
void gelu_avx512(const float* x, float* y, int64_t n, int approximate);
}  // namespace x86

// Which tier the dispatchers use now: 2 AVX-512, 1 AVX2 or NEON, 0 scalar (for tests).
int vec_tier_f32();

}  // namespace sdk
