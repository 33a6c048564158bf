#include "kernels/ref/misc.h"
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include "kernels/neon/sum_neon.h"
#include "kernels/ref/sgemm_f32.h"  // neon_sgemm_enabled(): the fp32 NEON tier
#endif

namespace sdk {
namespace ref {
namespace {

struct Job {
    const float* x;
    float* y;
    int64_t spatial;
    bool neon;  // the NEON sum (kernels/neon/globalaveragepool_f32.cpp)
};

void planes(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    for (int64_t p = begin; p < end; ++p) {
        const float* x = j.x + p * j.spatial;
        float s = 0.0f;
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
        if (j.neon) {
            j.y[p] = neon_sum_f32(x, j.spatial) / (float)j.spatial;
            continue;
        }
#endif
        for (int64_t i = 0; i < j.spatial; ++i) s += x[i];
        j.y[p] = s / (float)j.spatial;
    }
}

}  // namespace

void globalaveragepool_f32(const float* x, float* y, int64_t planes_, int64_t spatial, ThreadPool* pool) {
    Job j = {x, y, spatial, false};
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    j.neon = neon_sgemm_enabled();
#endif
    int64_t grain = spatial > 0 ? (1 << 15) / spatial : 1;
    parallel_for(pool, planes_, grain < 1 ? 1 : grain, planes, &j);
}

}  // namespace ref
}  // namespace sdk
