// Reference fp32 Softmax: max-subtracted exp, then one reciprocal multiply per element.
#include <math.h>

#include "kernels/ref/misc.h"

namespace sdk {
namespace ref {
namespace {

struct Job {
    const float* x;
    float* y;
    int64_t n, inner;
};

// One (outer, inner) lane per task: elements strided by `inner`.
void lanes(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    for (int64_t t = begin; t < end; ++t) {
        int64_t o = t / j.inner, i = t % j.inner;
        const float* x = j.x + o * j.n * j.inner + i;
        float* y = j.y + o * j.n * j.inner + i;
        const int64_t s = j.inner;
        float m = -INFINITY;
        for (int64_t k = 0; k < j.n; ++k) m = x[k * s] > m ? x[k * s] : m;
        float sum = 0.0f;
        for (int64_t k = 0; k < j.n; ++k) {
            float e = expf(x[k * s] - m);
            y[k * s] = e;
            sum += e;
        }
        float inv = 1.0f / sum;
        for (int64_t k = 0; k < j.n; ++k) y[k * s] *= inv;
    }
}

}  // namespace

void softmax_f32(const float* x, float* y, int64_t outer, int64_t n, int64_t inner, ThreadPool* pool) {
    Job j = {x, y, n, inner};
    int64_t grain = n > 0 ? (1 << 13) / n : 1;
    parallel_for(pool, outer * inner, grain < 1 ? 1 : grain, lanes, &j);
}

}  // namespace ref
}  // namespace sdk
