// Int8 AveragePool: input and output share their quantization, so the average is taken
// over raw int8 with round-half-away division (TFLite). count_include_pad counts (and
// adds as zero point) the padding taps inside the padded input.
#include "kernels/pool_s8.h"

namespace sdk {
namespace {

struct Job {
    const s8::PoolGeom* g;
    int32_t zp;
    const int8_t* x;
    int8_t* y;
    const RunContext* ctx;
};

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
void planes_neon(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const s8::PoolGeom& g = *j.g;
    for (int64_t t = begin; t < end; ++t)
        s8::averagepool_plane_s8_neon(g, j.zp, j.x + t * g.H * g.W, j.y + t * g.OH * g.OW);
}
#endif

#if SDK_FEATURE_X86
void planes_x86(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const s8::PoolGeom& g = *j.g;
    void* buf = j.ctx->thread_scratch();
    for (int64_t t = begin; t < end; ++t) s8::averagepool_plane_s8_avx2(g, j.zp, j.x + t * g.H * g.W, j.y + t * g.OH * g.OW, buf);
}
#endif

void planes(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const s8::PoolGeom& g = *j.g;
    const int ph = g.H + g.pt + g.pb, pw = g.W + g.pl + g.pr;  // padded extent
    for (int64_t t = begin; t < end; ++t) {
        const int8_t* xc = j.x + t * g.H * g.W;
        int8_t* yc = j.y + t * g.OH * g.OW;
        for (int oh = 0; oh < g.OH; ++oh)
            for (int ow = 0; ow < g.OW; ++ow) {
                int32_t sum = 0, valid = 0, padded = 0;
                for (int kh = 0; kh < g.KH; ++kh) {
                    const int ih = oh * g.sh - g.pt + kh * g.dh;
                    for (int kw = 0; kw < g.KW; ++kw) {
                        const int iw = ow * g.sw - g.pl + kw * g.dw;
                        if (ih + g.pt < ph && iw + g.pl < pw) ++padded;
                        if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                        sum += xc[ih * g.W + iw];
                        ++valid;
                    }
                }
                int32_t cnt = valid;
                if (g.include_pad) {
                    sum += j.zp * (padded - valid);
                    cnt = padded;
                }
                if (cnt == 0) {
                    yc[oh * g.OW + ow] = (int8_t)j.zp;
                    continue;
                }
                sum += sum >= 0 ? cnt / 2 : -(cnt / 2);
                const int32_t v = sum / cnt;
                yc[oh * g.OW + ow] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
            }
    }
}

}  // namespace

sdk_status averagepool_s8_prepare(PrepareContext& ctx) { return s8::pool_s8_prepare(ctx, true); }

sdk_status averagepool_s8_run(const RunContext& ctx) {
    const s8::PoolS8Data& d = *static_cast<const s8::PoolS8Data*>(ctx.op_data);
    const s8::PoolGeom& g = d.g;
    Job j{&g, ctx.input(0).quant->zero_points[0], ctx.in<int8_t>(0), ctx.out<int8_t>(0), &ctx};
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
