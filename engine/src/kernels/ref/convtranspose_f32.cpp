// fp32 ConvTranspose: GEMM into columns, then col2im (see kernels/ref/convtranspose.h).
#include "kernels/ref/convtranspose.h"

#include "kernels/ref/sgemm_f32.h"

namespace sdk {
namespace ref {

size_t convtranspose_f32_wt_bytes(const ConvTransposeF32Plan& p) {
    return (size_t)p.cin * (size_t)(p.cout / p.group) * (size_t)p.kh * (size_t)p.kw * sizeof(float);
}

void convtranspose_f32_pack_w(const ConvTransposeF32Plan& p, const float* w, float* wt) {
    // W is [Cin, Cout_g, kh, kw]; group g's transposed block is [Cout_g*kk, Cin_g]
    const int64_t cin_g = p.cin / p.group, cout_g = p.cout / p.group, kk = (int64_t)p.kh * p.kw;
    const int64_t m = cout_g * kk;
    for (int64_t g = 0; g < p.group; ++g)
        for (int64_t ci = 0; ci < cin_g; ++ci)
            for (int64_t r = 0; r < m; ++r) wt[g * m * cin_g + r * cin_g + ci] = w[(g * cin_g + ci) * m + r];
}

size_t convtranspose_f32_scratch_bytes(const ConvTransposeF32Plan& p) {
    return (size_t)(kConvTBlock / kNR) * kNR * (size_t)(p.cin / p.group) * sizeof(float);
}

size_t convtranspose_f32_thread_scratch_bytes(const ConvTransposeF32Plan& p) {
    return (size_t)kConvTChunk * p.kh * p.kw * kConvTBlock * sizeof(float);
}

namespace {

struct Job {
    const ConvTransposeF32Plan* p;
    const RunContext* ctx;
    const float* xp;  // packed input block
    float* y;         // this image's output, group's first channel
    const float* wt;  // this group's transposed weights
    int64_t p0;       // first input pixel of the block
    int nb;           // pixels in the block
};

void channels(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const ConvTransposeF32Plan& p = *j.p;
    const int kk = p.kh * p.kw, cin_g = p.cin / p.group;
    float* cols = static_cast<float*>(j.ctx->thread_scratch());
    GemmEpilogue e;
    for (int64_t c0 = begin; c0 < end; c0 += kConvTChunk) {
        const int nc = end - c0 < kConvTChunk ? (int)(end - c0) : kConvTChunk;
        sgemm_packed((int64_t)nc * kk, j.nb, cin_g, j.wt + c0 * kk * cin_g, cin_g, 1, j.xp, cols, j.nb, e);
        for (int c = 0; c < nc; ++c) {
            float* yc = j.y + (c0 + c) * (int64_t)p.oh * p.ow;
            for (int ky = 0; ky < p.kh; ++ky) {
                for (int kx = 0; kx < p.kw; ++kx) {
                    const float* row = cols + ((int64_t)c * kk + ky * p.kw + kx) * j.nb;
                    int iy = (int)(j.p0 / p.w), ix = (int)(j.p0 % p.w);
                    for (int t = 0; t < j.nb; ++t) {
                        const int oy = iy * p.sh - p.pt + ky * p.dh, ox = ix * p.sw - p.pl + kx * p.dw;
                        if ((unsigned)oy < (unsigned)p.oh && (unsigned)ox < (unsigned)p.ow) yc[oy * p.ow + ox] += row[t];
                        if (++ix == p.w) {
                            ix = 0;
                            ++iy;
                        }
                    }
                }
            }
        }
    }
}

}  // namespace

void convtranspose_f32(const ConvTransposeF32Plan& p, const float* x, const float* bias, float* y, float* scratch,
                       const RunContext& ctx) {
    const int64_t hw = (int64_t)p.h * p.w, ohw = (int64_t)p.oh * p.ow;
    const int cin_g = p.cin / p.group, cout_g = p.cout / p.group;
    const int64_t kk = (int64_t)p.kh * p.kw;
    for (int64_t i = 0; i < (int64_t)p.n * p.cout; ++i) {
        const float b = bias ? bias[i % p.cout] : 0.0f;
        float* yc = y + i * ohw;
        for (int64_t k = 0; k < ohw; ++k) yc[k] = b;
    }
    const int64_t macs = (int64_t)kConvTChunk * kk * cin_g * kConvTBlock;
    const int64_t grain = macs > (1 << 16) ? kConvTChunk : kConvTChunk * 2;
    for (int n = 0; n < p.n; ++n) {
        for (int g = 0; g < p.group; ++g) {
            const float* xg = x + ((int64_t)n * p.cin + (int64_t)g * cin_g) * hw;
            for (int64_t p0 = 0; p0 < hw; p0 += kConvTBlock) {
                const int nb = hw - p0 < kConvTBlock ? (int)(hw - p0) : kConvTBlock;
                sgemm_pack_b(xg + p0, hw, 1, cin_g, 0, nb, scratch);
                Job j = {&p, &ctx, scratch, y + ((int64_t)n * p.cout + (int64_t)g * cout_g) * ohw,
                         p.wt + (int64_t)g * cout_g * kk * cin_g, p0, nb};
                parallel_for(ctx.pool, cout_g, grain, channels, &j);
            }
        }
    }
}

}  // namespace ref
}  // namespace sdk
