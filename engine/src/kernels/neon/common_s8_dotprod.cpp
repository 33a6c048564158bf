// ARMv8.2 dotprod int8 GEMM: SDOT, 4 weight rows x 4 input columns per register tile.
// Compiled alone with -march=armv8.2-a+dotprod; s8::gemm_kernel() picks it only when
// the CPU reports the feature (getauxval / sysctl), so the library still runs on v8.0.
#include "kernels/gemm_s8.h"

#if defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
#include <arm_neon.h>

#include "kernels/neon_s8.h"

namespace sdk {
namespace s8 {

void gemm_neon_dotprod(const Gemm& g, int32_t m0, int32_t m1, int32_t n0, int32_t n1) {
    const int32_t kp = g.kp;
    int32_t m = m0;
    for (; m < m1; m += 4) {
        // a tail of 1-3 rows or columns repeats its last one (computed, not stored)
        const int32_t rows = m1 - m < 4 ? m1 - m : 4;
        const int8_t* w0 = g.w + (int64_t)m * kp;
        const int8_t* w1 = rows > 1 ? w0 + kp : w0;
        const int8_t* w2 = rows > 2 ? w1 + kp : w1;
        const int8_t* w3 = rows > 3 ? w2 + kp : w2;
        const Rows4 ep(g, m, rows);
        for (int32_t n = n0; n < n1; n += 4) {
            // named accumulators, not arrays: -Os/-Oz builds do not unroll array loops and
            // would keep the tile in memory
            const int32_t nc = n1 - n < 4 ? n1 - n : 4;
            const int8_t* x0 = g.x + (int64_t)n * kp;
            const int8_t* x1 = nc > 1 ? x0 + kp : x0;
            const int8_t* x2 = nc > 2 ? x1 + kp : x1;
            const int8_t* x3 = nc > 3 ? x2 + kp : x2;
            int32x4_t a00 = vdupq_n_s32(0), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00,
                      a13 = a00, a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00,
                      a33 = a00;
            for (int32_t k = 0; k < kp; k += 16) {
                const int8x16_t vx0 = vld1q_s8(x0 + k), vx1 = vld1q_s8(x1 + k), vx2 = vld1q_s8(x2 + k),
                                vx3 = vld1q_s8(x3 + k);
                int8x16_t vw = vld1q_s8(w0 + k);
                a00 = vdotq_s32(a00, vw, vx0);
                a01 = vdotq_s32(a01, vw, vx1);
                a02 = vdotq_s32(a02, vw, vx2);
                a03 = vdotq_s32(a03, vw, vx3);
                vw = vld1q_s8(w1 + k);
                a10 = vdotq_s32(a10, vw, vx0);
                a11 = vdotq_s32(a11, vw, vx1);
                a12 = vdotq_s32(a12, vw, vx2);
                a13 = vdotq_s32(a13, vw, vx3);
                vw = vld1q_s8(w2 + k);
                a20 = vdotq_s32(a20, vw, vx0);
                a21 = vdotq_s32(a21, vw, vx1);
                a22 = vdotq_s32(a22, vw, vx2);
                a23 = vdotq_s32(a23, vw, vx3);
                vw = vld1q_s8(w3 + k);
                a30 = vdotq_s32(a30, vw, vx0);
                a31 = vdotq_s32(a31, vw, vx1);
                a32 = vdotq_s32(a32, vw, vx2);
                a33 = vdotq_s32(a33, vw, vx3);
            }
            ep.store(g, m, n, rows, nc, vpaddq_s32(vpaddq_s32(a00, a10), vpaddq_s32(a20, a30)),
                     vpaddq_s32(vpaddq_s32(a01, a11), vpaddq_s32(a21, a31)),
                     vpaddq_s32(vpaddq_s32(a02, a12), vpaddq_s32(a22, a32)),
                     vpaddq_s32(vpaddq_s32(a03, a13), vpaddq_s32(a23, a33)));
        }
    }
}

extern const bool kDotprodCompiled = true;

}  // namespace s8
}  // namespace sdk
#elif SDK_FEATURE_NEON && defined(__ARM_NEON)
namespace sdk {
namespace s8 {

// This compiler did not take the ARMv8.2 dotprod flag (meson dropped it as unsupported):
// keep the symbol, run the plain NEON kernel, and tell gemm_kernel() not to count on it.
void gemm_neon_dotprod(const Gemm& g, int32_t m0, int32_t m1, int32_t n0, int32_t n1) { gemm_neon(g, m0, m1, n0, n1); }
extern const bool kDotprodCompiled = false;

}  // namespace s8
}  // namespace sdk
#endif
