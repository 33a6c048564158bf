// Int8 MaxPool: input and output share their quantization, so it is a max over raw int8
// (padding taps are skipped).
#include "kernels/pool_s8.h"

namespace sdk {
namespace {

struct Job {
    const s8::PoolGeom* g;
    const int8_t* x;
    int8_t* y;
    const RunContext* ctx;
};

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
void planes_neon(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const s8::PoolGeom& g = *j.g;
    for (int64_t t = begin; t < end; ++t) s8::maxpool_plane_s8_neon(g, j.x + t * g.H * g.W, j.y + t * g.OH * g.OW);
}
#endif

#if SDK_FEATURE_X86
void planes_x86(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const s8::PoolGeom& g = *j.g;
    void* buf = j.ctx->thread_scratch();
    for (int64_t t = begin; t < end; ++t) s8::maxpool_plane_s8_avx2(g, j.x + t * g.H * g.W, j.y + t * g.OH * g.OW, buf);
}
#endif

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

sdk_status maxpool_s8_prepare(PrepareContext& ctx) { return s8::pool_s8_prepare(ctx, false); }

sdk_status maxpool_s8_run(const RunContext& ctx) {
    const s8::PoolS8Data& d = *static_cast<const s8::PoolS8Data*>(ctx.op_data);
    const s8::PoolGeom& g = d.g;
    Job j{&g, ctx.in<int8_t>(0), ctx.out<int8_t>(0), &ctx};
    const int64_t work = (int64_t)g.OH * g.OW * g.KH * g.KW;
    ParallelFn fn = planes;
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    if (d.neon) fn = planes_neon;
#endif
#if SDK_FEATURE_X86
    if (d.x86) fn = planes_x86;
#endif
    parallel_for(ctx.pool, (int64_t)g.N * g.C, work > 8192 ? 1 : 8192 / work + 1, fn, &j);
    return SDK_OK;
}

}  // namespace sdk
