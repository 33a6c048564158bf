// NEON Softmax / LogSoftmax rows (ARMv7 and AArch64; kernels/ref/softmax.h): vector max, a
// polynomial exp over 4 lanes (Cephes' expf: range reduction by ln 2 in two parts,
// degree-5 polynomial, 2^n through the exponent bits; within 2 ulp of expf), vector sum
// and scale. Taken while the fp32 NEON tier is on (neon_sgemm_enabled()).
#include "kernels/ref/softmax.h"

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include <arm_neon.h>

#include "kernels/neon/cmp_neon.h"
#include <math.h>

namespace sdk {
namespace ref {
namespace {

inline float32x4_t exp4(float32x4_t x) {
    x = vminq_f32(x, vdupq_n_f32(88.3762626647949f));
    x = vmaxq_f32(x, vdupq_n_f32(-88.3762626647949f));
    float32x4_t fx = vmlaq_f32(vdupq_n_f32(0.5f), x, vdupq_n_f32(1.44269504088896341f));
    // floor: truncate, then one less where that rounded up (negative values)
    float32x4_t t = vcvtq_f32_s32(vcvtq_s32_f32(fx));
    fx = vsubq_f32(t, vreinterpretq_f32_u32(vandq_u32(neon_cgt(t, fx), vreinterpretq_u32_f32(vdupq_n_f32(1.0f)))));
    x = vmlsq_f32(x, fx, vdupq_n_f32(0.693359375f));
    x = vmlsq_f32(x, fx, vdupq_n_f32(-2.12194440e-4f));
    float32x4_t y = vdupq_n_f32(1.9875691500e-4f);
    y = vmlaq_f32(vdupq_n_f32(1.3981999507e-3f), y, x);
    y = vmlaq_f32(vdupq_n_f32(8.3334519073e-3f), y, x);
    y = vmlaq_f32(vdupq_n_f32(4.1665795894e-2f), y, x);
    y = vmlaq_f32(vdupq_n_f32(1.6666665459e-1f), y, x);
    y = vmlaq_f32(vdupq_n_f32(5.0000001201e-1f), y, x);
    y = vmlaq_f32(vaddq_f32(x, vdupq_n_f32(1.0f)), y, vmulq_f32(x, x));
    const int32x4_t n = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(fx), vdupq_n_s32(127)), 23);
    return vmulq_f32(y, vreinterpretq_f32_s32(n));
}

inline float hmax(float32x4_t v) {
    float32x2_t m = vpmax_f32(vget_low_f32(v), vget_high_f32(v));
    return vget_lane_f32(vpmax_f32(m, m), 0);
}

inline float hsum(float32x4_t v) {
    float32x2_t s = vadd_f32(vget_low_f32(v), vget_high_f32(v));
    return vget_lane_f32(vpadd_f32(s, s), 0);
}

}  // namespace

void neon_softmax_row_f32(const float* x, float* y, int64_t n, bool log) {
    int64_t k = 0;
    float32x4_t vm = vdupq_n_f32(-INFINITY);
    for (; k + 4 <= n; k += 4) vm = vmaxq_f32(vm, vld1q_f32(x + k));
    float m = hmax(vm);
    for (; k < n; ++k) m = x[k] > m ? x[k] : m;
    const float32x4_t bm = vdupq_n_f32(m);
    float32x4_t vs = vdupq_n_f32(0.0f);
    for (k = 0; k + 4 <= n; k += 4) {
        const float32x4_t e = exp4(vsubq_f32(vld1q_f32(x + k), bm));
        if (!log) vst1q_f32(y + k, e);
        vs = vaddq_f32(vs, e);
    }
    float sum = hsum(vs);
    for (; k < n; ++k) {
        const float e = expf(x[k] - m);
        if (!log) y[k] = e;
        sum += e;
    }
    if (log) {
        const float c = m + logf(sum);
        const float32x4_t bc = vdupq_n_f32(c);
        for (k = 0; k + 4 <= n; k += 4) vst1q_f32(y + k, vsubq_f32(vld1q_f32(x + k), bc));
        for (; k < n; ++k) y[k] = x[k] - c;
    } else {
        const float inv = 1.0f / sum;
        const float32x4_t bi = vdupq_n_f32(inv);
        for (k = 0; k + 4 <= n; k += 4) vst1q_f32(y + k, vmulq_f32(vld1q_f32(y + k), bi));
        for (; k < n; ++k) y[k] *= inv;
    }
}

void neon_softmax_lanes_f32(const float* x, float* y, int64_t n, int64_t inner, int64_t w, bool log) {
    int64_t i = 0;
    for (; i + 4 <= w; i += 4) {  // 4 lanes at a time: max, then exp and sum, then the outputs
        float32x4_t m = vdupq_n_f32(-INFINITY), s = vdupq_n_f32(0.0f);
        for (int64_t k = 0; k < n; ++k) m = vmaxq_f32(m, vld1q_f32(x + k * inner + i));
        for (int64_t k = 0; k < n; ++k) {
            const float32x4_t e = exp4(vsubq_f32(vld1q_f32(x + k * inner + i), m));
            if (!log) vst1q_f32(y + k * inner + i, e);
            s = vaddq_f32(s, e);
        }
        float sv[4], mv[4];
        vst1q_f32(sv, s);
        vst1q_f32(mv, m);
        for (int l = 0; l < 4; ++l) sv[l] = log ? mv[l] + logf(sv[l]) : 1.0f / sv[l];
        const float32x4_t c = vld1q_f32(sv);
        for (int64_t k = 0; k < n; ++k) {
            float* yk = y + k * inner + i;
            if (log) vst1q_f32(yk, vsubq_f32(vld1q_f32(x + k * inner + i), c));
            else vst1q_f32(yk, vmulq_f32(vld1q_f32(yk), c));
        }
    }
    if (i < w) softmax_lanes_f32(x + i, y + i, n, inner, w - i, log);
}

}  // namespace ref
}  // namespace sdk
#endif
