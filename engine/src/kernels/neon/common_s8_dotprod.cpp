// ARMv8.2 dotprod int8 GEMM: SDOT, 4 weight rows x 4 input columns per register tile.
// Compiled alone with -march=armv8.2-a+dotprod; s8::gemm_kernel() picks it only when
// the CPU reports the feature (getauxval / sysctl), so the library still runs on v8.0.
#include "kernels/gemm_s8.h"

#if defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
#include <arm_neon.h>

namespace sdk {
namespace s8 {

void neon_store4(const Gemm& g, int32_t m, int32_t n, int32x4_t acc);

void gemm_neon_dotprod(const Gemm& g, int32_t m0, int32_t m1, int32_t n0, int32_t n1) {
    const int32_t kp = g.kp;
    int32_t m = m0;
    for (; m + 4 <= m1; m += 4) {
        const int8_t* w0 = g.w + (int64_t)m * kp;
        int32_t n = n0;
        for (; n + 4 <= n1; n += 4) {
            const int8_t* x0 = g.x + (int64_t)n * kp;
            int32x4_t acc[4][4];
            for (int i = 0; i < 4; ++i)
                for (int j = 0; j < 4; ++j) acc[i][j] = vdupq_n_s32(0);
            for (int32_t k = 0; k < kp; k += 16) {
                int8x16_t vx[4], vw[4];
                for (int j = 0; j < 4; ++j) vx[j] = vld1q_s8(x0 + (int64_t)j * kp + k);
                for (int i = 0; i < 4; ++i) vw[i] = vld1q_s8(w0 + (int64_t)i * kp + k);
                for (int i = 0; i < 4; ++i)
                    for (int j = 0; j < 4; ++j) acc[i][j] = vdotq_s32(acc[i][j], vw[i], vx[j]);
            }
            for (int i = 0; i < 4; ++i)
                neon_store4(g, m + i, n,
                            vpaddq_s32(vpaddq_s32(acc[i][0], acc[i][1]), vpaddq_s32(acc[i][2], acc[i][3])));
        }
        if (n < n1) gemm_ref(g, m, m + 4, n, n1);
    }
    if (m < m1) gemm_neon(g, m, m1, n0, n1);
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
