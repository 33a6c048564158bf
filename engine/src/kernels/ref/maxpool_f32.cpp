// Reference fp32 MaxPool: per (n, c) plane, windows clipped to the input (padding never wins).
#include <math.h>

#include "kernels/ref/pool.h"

namespace sdk {
namespace ref {
namespace {

struct Job {
    const PoolParams* p;
    const float* x;
    float* y;
};

void planes(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const PoolParams& p = *j.p;
    for (int64_t t = begin; t < end; ++t) {
        const float* xin = j.x + t * p.H * p.W;
        float* out = j.y + t * p.OH * p.OW;
        for (int oh = 0; oh < p.OH; ++oh) {
            for (int ow = 0; ow < p.OW; ++ow) {
                float m = -INFINITY;
                for (int kh = 0; kh < p.KH; ++kh) {
                    int ih = oh * p.sh - p.pt + kh * p.dh;
                    if (ih < 0 || ih >= p.H) continue;
                    const float* row = xin + (int64_t)ih * p.W;
                    for (int kw = 0; kw < p.KW; ++kw) {
                        int iw = ow * p.sw - p.pl + kw * p.dw;
                        if (iw < 0 || iw >= p.W) continue;
                        m = row[iw] > m ? row[iw] : m;
                    }
                }
                out[(int64_t)oh * p.OW + ow] = m;
            }
        }
    }
}

}  // namespace

void maxpool_f32(const PoolParams& p, const float* x, float* y, ThreadPool* pool) {
    Job j = {&p, x, y};
    int64_t per = (int64_t)p.OH * p.OW * p.KH * p.KW;
    int64_t grain = per > 0 ? (1 << 15) / per : 1;
    parallel_for(pool, (int64_t)p.N * p.C, grain < 1 ? 1 : grain, planes, &j);
}

}  // namespace ref
}  // namespace sdk
