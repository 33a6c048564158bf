// fp32 normalization kernels (see kernels/ref/norm.h).
#include <math.h>
#include <string.h>

#include "kernels/ref/norm.h"

namespace sdk {
namespace ref {
namespace {

typedef float v4 __attribute__((vector_size(16)));

inline v4 ld(const float* p) {
    v4 v;
    memcpy(&v, p, sizeof v);
    return v;
}
inline void st(float* p, v4 v) { memcpy(p, &v, sizeof v); }
inline float hsum(v4 v) { return (v[0] + v[1]) + (v[2] + v[3]); }

}  // namespace

void norm_stats_f32(const float* x, int64_t n, float eps, bool rms, float* mean, float* inv) {
    if (n <= 0) {
        *mean = 0.0f;
        *inv = 1.0f / sqrtf(eps);
        return;
    }
    const float shift = rms ? 0.0f : x[0];
    const v4 sh = {shift, shift, shift, shift};
    v4 s0 = {0, 0, 0, 0}, s1 = s0, q0 = s0, q1 = s0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v4 a = ld(x + i) - sh, b = ld(x + i + 4) - sh;
        s0 += a;
        s1 += b;
        q0 += a * a;
        q1 += b * b;
    }
    double s = (double)hsum(s0 + s1), q = (double)hsum(q0 + q1);
    for (; i < n; ++i) {
        double d = (double)x[i] - shift;
        s += d;
        q += d * d;
    }
    double m = s / (double)n;
    double var = rms ? q / (double)n : q / (double)n - m * m;
    if (var < 0.0) var = 0.0;
    *mean = rms ? 0.0f : (float)(m + shift);
    *inv = (float)(1.0 / sqrt(var + (double)eps));
}

void norm_apply_f32(const float* x, float* y, int64_t n, float mean, float inv, const float* scale,
                    const float* bias) {
    const v4 m = {mean, mean, mean, mean}, iv = {inv, inv, inv, inv};
    int64_t i = 0;
    if (scale && bias) {
        for (; i + 4 <= n; i += 4) st(y + i, (ld(x + i) - m) * iv * ld(scale + i) + ld(bias + i));
        for (; i < n; ++i) y[i] = (x[i] - mean) * inv * scale[i] + bias[i];
    } else if (scale) {
        for (; i + 4 <= n; i += 4) st(y + i, (ld(x + i) - m) * iv * ld(scale + i));
        for (; i < n; ++i) y[i] = (x[i] - mean) * inv * scale[i];
    } else {
        for (; i + 4 <= n; i += 4) st(y + i, (ld(x + i) - m) * iv);
        for (; i < n; ++i) y[i] = (x[i] - mean) * inv;
    }
}

void affine_f32(const float* x, float* y, int64_t n, float a, float c) {
    const v4 va = {a, a, a, a}, vc = {c, c, c, c};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) st(y + i, ld(x + i) * va + vc);
    for (; i < n; ++i) y[i] = x[i] * a + c;
}

void lp_normalize_f32(const float* x, float* y, int64_t n, int64_t stride, int p) {
    double acc = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        double v = x[i * stride];
        acc += p == 1 ? fabs(v) : v * v;
    }
    double norm = p == 1 ? acc : sqrt(acc);
    float r = norm > 0.0 ? (float)(1.0 / norm) : 0.0f;
    for (int64_t i = 0; i < n; ++i) y[i * stride] = x[i * stride] * r;
}

}  // namespace ref
}  // namespace sdk
