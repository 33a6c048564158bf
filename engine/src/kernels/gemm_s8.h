// The int8 GEMM core behind Conv and Gemm (all ISAs), "dot-product" layout:
//
//     y[m * ys_m + n * ys_n] = clamp(mbqm(bias[m] + sum_k w[m * kp + k] * x[n * kp + k],
//                                         mult[m], shift[m]) + out_zp, act_min, act_max)
//
// Both operands are K-contiguous and K is padded with zeros to kp (a multiple of 16), so
// a SIMD step consumes 16 int8 of K from a weight row and an input column (NEON: SMULL +
// SMLAL + SADALP; ARMv8.2: SDOT; AVX2: PMOVSXBW + PMADDWD). Weights are symmetric int8 in
// [-127, 127], so a pair of products never overflows int16. The input zero point is
// folded into bias at prepare: bias[m] = b[m] - x_zp * sum_k w[m][k]; padding taps hold
// x_zp. Rows m are output channels (per-channel mult/shift), columns n output pixels.
#pragma once

#include <stdint.h>

#include "core/op.h"

namespace sdk {
namespace s8 {

constexpr int kKAlign = 16;

static inline int32_t round_up_k(int32_t k) { return (k + kKAlign - 1) / kKAlign * kKAlign; }

struct Gemm {
    int32_t M, N, kp;
    const int8_t* w;      // [M][kp]
    const int8_t* x;      // [N][kp]
    const int32_t* bias;  // [M], zero point folded in
    const int32_t* mult;  // [M]
    const int32_t* shift; // [M]
    int32_t out_zp, act_min, act_max;
    int8_t* y;
    int64_t ys_m, ys_n;
};

// Computes rows [m0, m1) x columns [n0, n1) of g.
typedef void (*GemmKernel)(const Gemm& g, int32_t m0, int32_t m1, int32_t n0, int32_t n1);

void gemm_ref(const Gemm& g, int32_t m0, int32_t m1, int32_t n0, int32_t n1);
#if SDK_FEATURE_NEON
void gemm_neon(const Gemm& g, int32_t m0, int32_t m1, int32_t n0, int32_t n1);
#endif
#if defined(SDK_FEATURE_DOTPROD) && SDK_FEATURE_DOTPROD
void gemm_neon_dotprod(const Gemm& g, int32_t m0, int32_t m1, int32_t n0, int32_t n1);
extern const bool kDotprodCompiled;  // false when the compiler lacked the dotprod flag
#endif
#if SDK_FEATURE_X86
void gemm_avx2(const Gemm& g, int32_t m0, int32_t m1, int32_t n0, int32_t n1);
bool cpu_has_avx2();
// SSE4.1 tier (kernels/x86/common_s8_sse41.cpp): CPUs without AVX2, or SDK_INT8_GEMM=sse41
void gemm_sse41(const Gemm& g, int32_t m0, int32_t m1, int32_t n0, int32_t n1);
bool cpu_has_sse41();
#endif
bool cpu_has_dotprod();

// The fastest kernel this CPU runs. The environment variable SDK_INT8_GEMM (ref, neon,
// dotprod, avx2, vnni, sse41) forces one when it is compiled in and supported: a test and bench
// hook (x86: vnni = the AVX512-VNNI conv kernels with the AVX2 GEMM elsewhere, avx2 = AVX2
// throughout; kernels/x86/conv_s8.h).
GemmKernel gemm_kernel();
const char* gemm_kernel_name(GemmKernel k);

// Requantizes a row of n int32 accumulators sharing one multiplier (depthwise conv):
// y[i] = clamp(mbqm(acc[i], mult, shift) + zp, lo, hi).
typedef void (*RequantRow)(const int32_t* acc, int32_t n, int32_t mult, int32_t shift, int32_t zp, int32_t lo,
                           int32_t hi, int8_t* y);
void requant_row_ref(const int32_t* acc, int32_t n, int32_t mult, int32_t shift, int32_t zp, int32_t lo, int32_t hi,
                     int8_t* y);
#if SDK_FEATURE_NEON
void requant_row_neon(const int32_t* acc, int32_t n, int32_t mult, int32_t shift, int32_t zp, int32_t lo, int32_t hi,
                      int8_t* y);
#endif
#if SDK_FEATURE_X86
void requant_row_avx2(const int32_t* acc, int32_t n, int32_t mult, int32_t shift, int32_t zp, int32_t lo, int32_t hi,
                      int8_t* y);
#endif
RequantRow requant_row_kernel();  // same choice rules as gemm_kernel()

// One element (the shared epilogue); every kernel's tails use it.
static inline int8_t gemm_out(const Gemm& g, int32_t m, int32_t acc);

// The sum of n int8 values (the folded bias's sum of a weight row).
int32_t sum_s8(const int8_t* w, int32_t n);

// Packs w (rows of k int8, row stride k) into [M][kp] with zero padding and computes the
// folded bias. bias_in may be nullptr.
void gemm_pack(const int8_t* w, int32_t M, int32_t k, int32_t kp, const int32_t* bias_in, int32_t x_zp,
               int8_t* packed, int32_t* bias_out);

}  // namespace s8
}  // namespace sdk

#include "kernels/requant_s8.h"

namespace sdk {
namespace s8 {
static inline int8_t gemm_out(const Gemm& g, int32_t m, int32_t acc) {
    const int64_t v = static_cast<int64_t>(mbqm(acc, g.mult[m], g.shift[m])) + g.out_zp;
    return static_cast<int8_t>(v < g.act_min ? g.act_min : (v > g.act_max ? g.act_max : v));
}
}  // namespace s8
}  // namespace sdk
