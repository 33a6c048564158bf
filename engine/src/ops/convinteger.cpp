// ConvInteger: Y (i32) = conv(X - x_zero_point, W - w_zero_point), exact int32 accumulation;
// padded positions are real zeros (the zero point). X [N, C, H, W] i8/u8, W [M, C/group, kh,
// kw] i8/u8 (constant), x_zero_point a scalar, w_zero_point a scalar or one per output
// channel; `strides`, `pads` [t, l, b, r], `dilations`, `group` (the converter maps 1-D onto
// 2-D). Engine extension: an optional 5th input B (i32, one per output channel) is added to
// the accumulator (QLinearConv's bias). Kernel: a direct int32 loop per output channel,
// split over the thread pool.
#include "core/op.h"
#include "ops/qparams_op.h"

namespace sdk {
namespace {

struct Data {
    int32_t n, c, h, w, m, kh, kw, oh, ow, group;
    int32_t sh, sw, dh, dw, pt, pl;
    DType xt, wt;
    bool w_per_channel;
};

sdk_status prepare(PrepareContext& ctx) {
    sdk_status st = opu::check_arity(ctx, 2, 5, 2, 1);
    if (st != SDK_OK) return st;
    const Tensor& x = *ctx.input(0);
    const Tensor& w = *ctx.input(1);
    const Tensor* xz = ctx.input(2);
    const Tensor* wz = ctx.input(3);
    const Tensor* b = ctx.input(4);
    if ((st = opu::require_rank(ctx, &x, "input", 4)) != SDK_OK) return st;
    if ((st = opu::require_rank(ctx, &w, "weight", 4)) != SDK_OK) return st;
    if ((x.dtype != DType::I8 && x.dtype != DType::U8) || (w.dtype != DType::I8 && w.dtype != DType::U8))
        return ctx.fail(SDK_ERR_UNSUPPORTED, "X and W must be i8 or u8");
    if ((xz && (xz->dtype != x.dtype || xz->shape.count() != 1)) || (wz && wz->dtype != w.dtype))
        return ctx.fail(SDK_ERR_BAD_MODEL, "zero points must have their operand's dtype (x_zero_point a scalar)");
    static const int32_t ones[2] = {1, 1}, zeros[4] = {0, 0, 0, 0};
    int32_t s[2], d[2], pads[4];
    Data p = {};
    if ((st = opu::ints_exact(ctx, "strides", s, 2, ones)) != SDK_OK) return st;
    if ((st = opu::ints_exact(ctx, "dilations", d, 2, ones)) != SDK_OK) return st;
    if ((st = opu::ints_exact(ctx, "pads", pads, 4, zeros)) != SDK_OK) return st;
    if ((st = opu::int_attr(ctx, "group", 1, &p.group)) != SDK_OK) return st;
    p.n = x.shape.dims[0];
    p.c = x.shape.dims[1];
    p.h = x.shape.dims[2];
    p.w = x.shape.dims[3];
    p.m = w.shape.dims[0];
    p.kh = w.shape.dims[2];
    p.kw = w.shape.dims[3];
    if (p.group < 1 || p.c % p.group || p.m % p.group || w.shape.dims[1] != p.c / p.group)
        return ctx.fail(SDK_ERR_BAD_MODEL, "weight '%s' does not fit %d channels in %d groups", w.name, p.c, p.group);
    if (s[0] < 1 || s[1] < 1 || d[0] < 1 || d[1] < 1 || pads[0] < 0 || pads[1] < 0 || pads[2] < 0 || pads[3] < 0)
        return ctx.fail(SDK_ERR_BAD_MODEL, "strides/dilations must be >= 1 and pads >= 0");
    p.sh = s[0], p.sw = s[1], p.dh = d[0], p.dw = d[1], p.pt = pads[0], p.pl = pads[1];
    int64_t oh = ((int64_t)p.h + pads[0] + pads[2] - ((int64_t)(p.kh - 1) * d[0] + 1)) / s[0] + 1;
    int64_t ow = ((int64_t)p.w + pads[1] + pads[3] - ((int64_t)(p.kw - 1) * d[1] + 1)) / s[1] + 1;
    if (oh < 1 || ow < 1) return ctx.fail(SDK_ERR_BAD_MODEL, "the window is larger than the padded input");
    if ((int64_t)p.h + pads[0] + pads[2] > INT32_MAX || (int64_t)p.w + pads[1] + pads[3] > INT32_MAX)
        return ctx.fail(SDK_ERR_BAD_MODEL, "pads make the padded input larger than 2^31 - 1");  // (int32 indexing)
    p.oh = (int32_t)oh;
    p.ow = (int32_t)ow;
    if (wz && wz->shape.count() != 1) {
        if (wz->shape.count() != p.m) return ctx.fail(SDK_ERR_BAD_MODEL, "w_zero_point must have 1 or M values");
        p.w_per_channel = true;
    }
    if (b && (b->dtype != DType::I32 || b->shape.count() != p.m))
        return ctx.fail(SDK_ERR_BAD_MODEL, "bias '%s' must be %d i32 values", b->name, p.m);
    p.xt = x.dtype;
    p.wt = w.dtype;
    Shape out;
    out.rank = 4;
    out.dims[0] = p.n;
    out.dims[1] = p.m;
    out.dims[2] = p.oh;
    out.dims[3] = p.ow;
    if ((st = ctx.check_output_shape(0, out)) != SDK_OK) return st;
    if (ctx.output(0)->dtype != DType::I32) return ctx.fail(SDK_ERR_BAD_MODEL, "output must be i32");
    Data* dp = opu::alloc_op_data<Data>(ctx);
    if (!dp) return SDK_ERR_OUT_OF_MEMORY;
    *dp = p;
    return SDK_OK;
}

struct Job {
    const Data* d;
    const RunContext* ctx;
};

void channels(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const Data& p = *j.d;
    const RunContext& c = *j.ctx;
    const int32_t xz = c.num_inputs > 2 && c.in_data[2] ? qp::load_int(c.in_data[2], p.xt, 0) : 0;
    const void* wzp = c.num_inputs > 3 ? c.in_data[3] : nullptr;
    const int32_t* bias = c.num_inputs > 4 ? c.in<int32_t>(4) : nullptr;
    const int cg = p.c / p.group, mg = p.m / p.group;
    for (int64_t nm = begin; nm < end; ++nm) {
        const int n = (int)(nm / p.m), m = (int)(nm % p.m), g = m / mg;
        const int32_t wz = wzp ? qp::load_int(wzp, p.wt, p.w_per_channel ? m : 0) : 0;
        int32_t* y = c.out<int32_t>(0) + nm * p.oh * p.ow;
        for (int oy = 0; oy < p.oh; ++oy) {
            for (int ox = 0; ox < p.ow; ++ox) {
                // int32 accumulation wraps past 2^31 as onnxruntime's does: in uint32, where it is defined
                uint32_t acc = bias ? (uint32_t)bias[m] : 0;
                for (int ci = 0; ci < cg; ++ci) {
                    const int64_t xc = ((int64_t)n * p.c + g * cg + ci) * p.h * p.w;
                    const int64_t wc = ((int64_t)m * cg + ci) * p.kh * p.kw;
                    for (int ky = 0; ky < p.kh; ++ky) {
                        const int iy = oy * p.sh - p.pt + ky * p.dh;
                        if (iy < 0 || iy >= p.h) continue;
                        for (int kx = 0; kx < p.kw; ++kx) {
                            const int ix = ox * p.sw - p.pl + kx * p.dw;
                            if (ix < 0 || ix >= p.w) continue;
                            acc += (uint32_t)((qp::load_int(c.in_data[0], p.xt, xc + (int64_t)iy * p.w + ix) - xz) *
                                              (qp::load_int(c.in_data[1], p.wt, wc + ky * p.kw + kx) - wz));
                        }
                    }
                }
                y[oy * p.ow + ox] = (int32_t)acc;
            }
        }
    }
}

sdk_status run(const RunContext& ctx) {
    Job j{static_cast<const Data*>(ctx.op_data), &ctx};
    parallel_for(ctx.pool, (int64_t)j.d->n * j.d->m, 1, channels, &j);
    return SDK_OK;
}

}  // namespace
}  // namespace sdk

extern const sdk::OpDef sdk_op_convinteger = {"ConvInteger", sdk::prepare, sdk::run, sdk::kOpNone};
