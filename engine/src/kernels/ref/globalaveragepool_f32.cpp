#include "kernels/ref/misc.h"

namespace sdk {
namespace ref {
namespace {

struct Job {
    const float* x;
    float* y;
    int64_t spatial;
};

void planes(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    for (int64_t p = begin; p < end; ++p) {
        const float* x = j.x + p * j.spatial;
        float s = 0.0f;
        for (int64_t i = 0; i < j.spatial; ++i) s += x[i];
        j.y[p] = s / (float)j.spatial;
    }
}

}  // namespace

void globalaveragepool_f32(const float* x, float* y, int64_t planes_, int64_t spatial, ThreadPool* pool) {
    Job j = {x, y, spatial};
    int64_t grain = spatial > 0 ? (1 << 15) / spatial : 1;
    parallel_for(pool, planes_, grain < 1 ? 1 : grain, planes, &j);
}

}  // namespace ref
}  // namespace sdk
