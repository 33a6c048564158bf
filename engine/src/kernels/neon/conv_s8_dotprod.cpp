// ARMv8.2 SDOT rows of the int8 depthwise 3x3 (see kernels/neon/conv_s8.h). Compiled alone
// with -march=armv8.2-a+dotprod; chosen at prepare only when s8::gemm_kernel() picked the
// SDOT GEMM (the CPU reports the feature, SDK_INT8_GEMM allows it).
//
// A block is 8 outputs of one row: per kernel row, one 16-byte load (stride 2: two) and
// two TBL gather each output's 4 bytes from its first tap into one 32-bit lane; SDOT
// against (w0, w1, w2, 0) adds the row's 3 products per output (the 4th byte meets a zero
// weight). Integer sums, the NEON requantization: bit-exact with the ref.
#include "kernels/neon/conv_s8.h"

#if defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
#include <arm_neon.h>
#include <string.h>

#include "kernels/neon_s8.h"
#include "kernels/unroll.h"

namespace sdk {
namespace s8 {
namespace {

// Byte windows of 4 outputs: stride 1 from columns 0-3 (and 4-7) of a load, stride 2 from
// columns 0, 2, 4, 6 of a load (the second half loads 8 columns on).
alignas(16) constexpr uint8_t kS1Lo[16] = {0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6};
alignas(16) constexpr uint8_t kS1Hi[16] = {4, 5, 6, 7, 5, 6, 7, 8, 6, 7, 8, 9, 7, 8, 9, 10};
alignas(16) constexpr uint8_t kS2[16] = {0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7, 8, 9};

template <int S>
void rows(const NeonDw3x3& p, int32_t pw, const int8_t* P, const int8_t* w9, int32_t bias, int32_t mult,
          int32_t shift, int8_t* y) {
    int8x16_t w[3];  // (w0, w1, w2, 0) x 4 per kernel row
    SDK_UNROLL for (int kh = 0; kh < 3; ++kh) {
        int8_t t[16];
        for (int i = 0; i < 16; ++i) t[i] = (i & 3) == 3 ? 0 : w9[kh * 3 + (i & 3)];
        w[kh] = vld1q_s8(t);
    }
    const uint8x16_t ilo = vld1q_u8(S == 1 ? kS1Lo : kS2), ihi = vld1q_u8(S == 1 ? kS1Hi : kS2);
    const int32x4_t vb = vdupq_n_s32(bias);
    for (int oh = 0; oh < p.OH; ++oh) {
        const int8_t* r0 = P + (int64_t)oh * S * pw;
        int8_t* o = y + (int64_t)oh * p.OW;
        for (int c = 0; c < p.OW; c += 8) {
            int32x4_t a0 = vb, a1 = vb;
            const int8_t* r = r0 + c * S;
            SDK_UNROLL for (int kh = 0; kh < 3; ++kh, r += pw) {
                const int8x16_t v = vld1q_s8(r);
                const int8x16_t u = S == 1 ? v : vld1q_s8(r + 8);
                a0 = vdotq_s32(a0, vqtbl1q_s8(v, ilo), w[kh]);
                a1 = vdotq_s32(a1, vqtbl1q_s8(u, ihi), w[kh]);
            }
            neon_store8_requant(o + c, p.OW - c, a0, a1, mult, shift, p.out_zp, p.act_min, p.act_max);
        }
    }
}

}  // namespace

bool dw3x3_rows_dotprod(const NeonDw3x3& p, int32_t pw, const int8_t* P, const int8_t* w9, int32_t bias,
                        int32_t mult, int32_t shift, int8_t* y) {
    if (p.stride == 1)
        rows<1>(p, pw, P, w9, bias, mult, shift, y);
    else
        rows<2>(p, pw, P, w9, bias, mult, shift, y);
    return true;
}

}  // namespace s8
}  // namespace sdk
#elif SDK_FEATURE_NEON && defined(__ARM_NEON)
namespace sdk {
namespace s8 {

// This compiler did not take the ARMv8.2 dotprod flag: the NEON rows run instead.
bool dw3x3_rows_dotprod(const NeonDw3x3&, int32_t, const int8_t*, const int8_t*, int32_t, int32_t, int32_t,
                        int8_t*) {
    return false;
}

}  // namespace s8
}  // namespace sdk
#endif
