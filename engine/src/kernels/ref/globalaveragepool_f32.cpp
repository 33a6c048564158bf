#include "kernels/ref/misc.h"

#include <string.h>
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
        // 8 independent partial sums (two 4-lane vectors): one running sum is a chain of
        // dependent adds, latency-bound (MobileNetV2's 1280 x 7x7 planes took ~20 us)
        typedef float v4f __attribute__((vector_size(16)));
        v4f a = {0.0f, 0.0f, 0.0f, 0.0f}, b = a;
        int64_t i = 0;
        for (; i + 8 <= j.spatial; i += 8) {
            v4f u, v;
            memcpy(&u, x + i, sizeof u);
            memcpy(&v, x + i + 4, sizeof v);
            a += u;
            b += v;
        }
        a += b;
        s = (a[0] + a[2]) + (a[1] + a[3]);
        for (; i < j.spatial; ++i) s += x[i];
        j.y[p] = s / (float)j.spatial;
    }
}

}  // namespace

void globalaveragepool_f32(const float* x, float* y, int64_t planes_, int64_t spatial, ThreadPool* pool) {
    Job j = {x, y, spatial, false};
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    j.neon = neon_sgemm_enabled();
#endif
    // >= 8192 summed elements per chunk: the 960 x 7x7 pools of squeeze-excitation blocks
    // split (with 32K per chunk they ran on one thread)
    int64_t grain = spatial > 0 ? (1 << 13) / spatial : 1;
    parallel_for(pool, planes_, grain < 1 ? 1 : grain, planes, &j);
}

}  // namespace ref
}  // namespace sdk
