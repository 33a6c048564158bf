// Reference fp32 LRN (ONNX): y = x / (bias + alpha / size * sum of x^2 over the channel
// window [c - floor((size-1)/2), c + ceil((size-1)/2)]) ^ beta.
#include <math.h>

#include "kernels/ref/misc.h"

namespace sdk {
namespace ref {
namespace {

struct Job {
    const LrnParams* p;
    const float* x;
    float* y;
};

void planes(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const LrnParams& p = *j.p;
    const int lo = (p.size - 1) / 2, hi = p.size - 1 - lo;
    const float scale = p.alpha / (float)p.size;
    for (int64_t t = begin; t < end; ++t) {
        const int64_t n = t / p.C;
        const int c = (int)(t % p.C);
        const int c0 = c - lo < 0 ? 0 : c - lo, c1 = c + hi >= p.C ? p.C - 1 : c + hi;
        const float* xb = j.x + n * p.C * p.inner;
        const float* xc = xb + c * p.inner;
        float* yc = j.y + (n * p.C + c) * p.inner;
        for (int64_t i = 0; i < p.inner; ++i) {
            float s = 0.0f;
            for (int k = c0; k <= c1; ++k) {
                float v = xb[k * p.inner + i];
                s += v * v;
            }
            yc[i] = xc[i] / powf(p.bias + scale * s, p.beta);
        }
    }
}

}  // namespace

void lrn_f32(const LrnParams& p, const float* x, float* y, ThreadPool* pool) {
    Job j = {&p, x, y};
    int64_t per = p.inner * p.size;
    int64_t grain = per > 0 ? (1 << 14) / per : 1;
    parallel_for(pool, (int64_t)p.N * p.C, grain < 1 ? 1 : grain, planes, &j);
}

}  // namespace ref
}  // namespace sdk
