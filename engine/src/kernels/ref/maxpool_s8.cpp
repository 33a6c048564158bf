// Int8 MaxPool: input and output share their quantization, so it is a max over raw int8
// (padding taps are skipped).
#include "kernels/pool_s8.h"

namespace sdk {
namespace {

struct Job {
    const s8::PoolGeom* g;
    const int8_t* x;
    int8_t* y;
};

void planes(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const s8::PoolGeom& g = *j.g;
    for (int64_t t = begin; t < end; ++t) {
        const int8_t* xc = j.x + t * g.H * g.W;
        int8_t* yc = j.y + t * g.OH * g.OW;
        for (int oh = 0; oh < g.OH; ++oh)
            for (int ow = 0; ow < g.OW; ++ow) {
                int32_t m = -128;
                for (int kh = 0; kh < g.KH; ++kh) {
                    const int ih = oh * g.sh - g.pt + kh * g.dh;
                    if (ih < 0 || ih >= g.H) continue;
                    for (int kw = 0; kw < g.KW; ++kw) {
                        const int iw = ow * g.sw - g.pl + kw * g.dw;
                        if (iw >= 0 && iw < g.W && xc[ih * g.W + iw] > m) m = xc[ih * g.W + iw];
                    }
                }
                yc[oh * g.OW + ow] = (int8_t)m;
            }
    }
}

}  // namespace

sdk_status maxpool_s8_prepare(PrepareContext& ctx) {
    s8::PoolGeom* g = static_cast<s8::PoolGeom*>(ctx.alloc(sizeof(s8::PoolGeom)));
    if (!g) return SDK_ERR_OUT_OF_MEMORY;
    ctx.set_op_data(g);
    return s8::pool_geom(ctx, g);
}

sdk_status maxpool_s8_run(const RunContext& ctx) {
    const s8::PoolGeom& g = *static_cast<const s8::PoolGeom*>(ctx.op_data);
    Job j{&g, ctx.in<int8_t>(0), ctx.out<int8_t>(0)};
    const int64_t work = (int64_t)g.OH * g.OW * g.KH * g.KW;
    parallel_for(ctx.pool, (int64_t)g.N * g.C, work > 8192 ? 1 : 8192 / work + 1, planes, &j);
    return SDK_OK;
}

}  // namespace sdk
