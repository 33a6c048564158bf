// AVX2 + FMA fp32 GEMM micro-kernel for x86 / x86_64 (kernels/x86/common_f32.cpp), a
// drop-in for ref::sgemm_packed over the same packed panels and epilogue. The ABI
// baselines (SSSE3 / SSE4.2) lack AVX2, so it is chosen at run time; results differ from
// the portable kernel only by FMA rounding (tested within 1e-5 in engine/tests).
#pragma once

#include <stdint.h>

#include "kernels/ref/sgemm_f32.h"
#include "kernels/unroll.h"

// The hot AVX2 loops. At -Os (how SDKs ship) GCC spills a 12-accumulator tile to the
// stack and runs the model ~1.7x slower, so these few functions are optimized for speed
// whatever the build type (x86 objects only: ARM libraries are unaffected).
#define SDK_X86_HOT SDK_HOT_TARGET("avx2,fma")

namespace sdk {
namespace ref {

// Declared in sgemm_f32.h (the hook in sgemm_packed): x86_sgemm_avx2_enabled() is true
// when the CPU has AVX2 and FMA and SDK_F32_GEMM is not "ref"; x86_sgemm_packed_avx2()
// is the drop-in. Test hook: 1 on (if supported), 0 off, -1 back to auto.
void x86_sgemm_set_enabled(int on);

// The AVX-512 tier of the fp32 kernels (x86_64 only): true when the AVX2 tier is on, the
// CPU has AVX512F and SDK_F32_GEMM is not "avx2" (nor "ref"). Test hook as above.
bool x86_f32_avx512_enabled();
void x86_f32_set_avx512(int on);

// The SSE4.1 tier (kernels/x86/common_f32_sse41.cpp, x86_sgemm_sse41_enabled() and
// x86_sgemm_packed_sse41() in sgemm_f32.h): on when the CPU has SSE4.1 and lacks AVX2/FMA,
// or SDK_F32_GEMM=sse41 (which also turns the AVX2 tier off); SDK_F32_GEMM=ref: off.
// Independent of the AVX2 hook: sgemm_packed tries AVX2 first. Test hook as above.
void x86_f32_set_sse41(int on);

// Columns per B block of x86_sgemm16_avx2.
constexpr int kX86Panel = 16;

// C[M x N] (row stride ldc) = epilogue(A[M x K] (row stride lda) * B), a 6 x 16 register
// tile. B is read in column blocks of 16: block j at B + j * bps, its element (k, c) at
// k * ldb + c. Packed panels: ldb = 16, bps = 16 * K; B in place (a 1x1 conv's input):
// ldb = row stride, bps = 16. Columns >= N are never read or written. Callers check
// x86_sgemm_avx2_enabled() first.
void x86_sgemm16_avx2(int64_t M, int64_t N, int K, const float* A, int64_t lda, const float* B, int64_t ldb,
                      int64_t bps, float* C, int64_t ldc, const GemmEpilogue& e);

#if defined(__x86_64__)
// The AVX-512 tier of x86_sgemm16_avx2 (which calls it when x86_f32_avx512_enabled()):
// same contract, up to 12 x 32 register tiles (kernels/x86/common_f32_avx512.cpp). tails:
// ntail more columns of B (C's columns N, N + 1, ...), each gathered into K contiguous floats,
// computed as dot products per row block (the 1-2 columns past a multiple of 16).
void x86_sgemm16_avx512(int64_t M, int64_t N, int K, const float* A, int64_t lda, const float* B, int64_t ldb,
                        int64_t bps, float* C, int64_t ldc, const GemmEpilogue& e, const float* tails = nullptr,
                        int ntail = 0);
#endif

#if defined(__x86_64__)
// The AVX-512 tier of x86_sgemm_packed_avx2 (ref::sgemm_packed's contract: 8-column panels
// of ref::sgemm_pack_b, A's element (m, k) at A[m * ars + k * acs]): up to 12 x 32 tiles,
// a ZMM per two panels (kernels/x86/common_f32_avx512.cpp).
void x86_sgemm_packed_avx512(int64_t M, int nc, int K, const float* A, int64_t ars, int64_t acs, const float* Bp,
                             float* C, int64_t ldc, const GemmEpilogue& e);
#endif

// out[i] = dot(a, b + i * K) for i in [0, n) (Gemm with M == 1 and B transposed).
void x86_dots_avx2(const float* a, const float* b, int K, int n, float* out);
// The same with rows of b ld floats apart.
void x86_dots_ld_avx2(const float* a, const float* b, int K, int64_t ld, int n, float* out);

}  // namespace ref
}  // namespace sdk
