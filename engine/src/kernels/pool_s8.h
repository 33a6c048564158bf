// Geometry of the int8 pools (MaxPool, AveragePool), read from the node's attributes;
// the output size comes from the output tensor, which the op's own prepare has checked.
#pragma once

#include "kernels/ops_s8.h"
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include "kernels/gemm_s8.h"  // s8::gemm_kernel(): the int8 tier
#include "kernels/neon/pool_neon.h"
#endif
#if SDK_FEATURE_X86
#include "kernels/gemm_s8.h"  // s8::gemm_kernel(): the int8 tier
#include "kernels/x86/pool_s8.h"
#endif

namespace sdk {
namespace s8 {

struct PoolGeom {
    int32_t N, C, H, W, OH, OW, KH, KW, sh, sw, dh, dw, pt, pl, pb, pr;
    int32_t include_pad;
};

inline sdk_status pool_geom(PrepareContext& ctx, PoolGeom* g) {
    const Tensor* x = ctx.input(0);
    const Tensor* y = ctx.output(0);
    if (!x || !y || x->shape.rank != 4 || y->shape.rank != 4)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "int8 pooling needs NCHW (rank 4) input and output");
    int32_t k[2] = {0, 0}, s[2] = {1, 1}, dl[2] = {1, 1}, p[4] = {0, 0, 0, 0};
    if (ctx.attr_ints("kernel_shape", k, 2) != 2 || k[0] < 1 || k[1] < 1)
        return ctx.fail(SDK_ERR_BAD_MODEL, "kernel_shape must be 2 positive ints");
    ctx.attr_ints("strides", s, 2);
    ctx.attr_ints("dilations", dl, 2);
    ctx.attr_ints("pads", p, 4);
    if (s[0] < 1 || s[1] < 1 || dl[0] < 1 || dl[1] < 1 || p[0] < 0 || p[1] < 0 || p[2] < 0 || p[3] < 0)
        return ctx.fail(SDK_ERR_BAD_MODEL, "strides/dilations must be >= 1 and pads >= 0");
    *g = PoolGeom{x->shape.dims[0], x->shape.dims[1], x->shape.dims[2], x->shape.dims[3], y->shape.dims[2],
                  y->shape.dims[3], k[0], k[1], s[0], s[1], dl[0], dl[1], p[0], p[1], p[2], p[3],
                  ctx.attr_int("count_include_pad", 0)};
    if (y->shape.dims[0] != g->N || y->shape.dims[1] != g->C)
        return ctx.fail(SDK_ERR_BAD_MODEL, "pool output batch/channels differ from the input's");
    float xs = 1.0f, ys = 1.0f;
    int32_t xz = 0, yz = 0;
    sdk_status st = tensor_qp(ctx, x, &xs, &xz);
    if (st == SDK_OK) st = tensor_qp(ctx, y, &ys, &yz);
    if (st != SDK_OK) return st;
    if (xs != ys || xz != yz)
        return ctx.fail(SDK_ERR_UNSUPPORTED, "int8 pooling needs the same quantization on input and output");
    return SDK_OK;
}

// The op data of both int8 pools, and their prepare: the geometry, and whether the NEON
// planes take it.
struct PoolS8Data {
    PoolGeom g;
    bool neon;  // the NEON planes (kernels/neon/{maxpool,averagepool}_s8.cpp)
    bool x86;   // the AVX2 planes (kernels/x86/pool_s8.h)
};

inline sdk_status pool_s8_prepare(PrepareContext& ctx, bool avg) {
    PoolS8Data* d = static_cast<PoolS8Data*>(ctx.alloc(sizeof(PoolS8Data)));
    if (!d) return SDK_ERR_OUT_OF_MEMORY;
    ctx.set_op_data(d);
    const sdk_status st = pool_geom(ctx, &d->g);
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    d->neon = st == SDK_OK && neon_pool::fits(d->g) && gemm_kernel() != gemm_ref;
#endif
#if SDK_FEATURE_X86
    d->x86 = st == SDK_OK && gemm_kernel() == gemm_avx2 && pool_s8_x86_fits(d->g, avg);
    if (d->x86) ctx.request_thread_scratch(pool_s8_x86_scratch(d->g));
#else
    (void)avg;
#endif
    return st;
}

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
// NEON planes (kernels/neon/{maxpool,averagepool}_s8.cpp), bit-exact with the ref; taken
// for stride 1 or 2 along W and kernels of at most 16 rows (neon_pool::fits) with the
// NEON int8 tier (SDK_INT8_GEMM=ref keeps the ref planes).
void maxpool_plane_s8_neon(const PoolGeom& g, const int8_t* x, int8_t* y);
void averagepool_plane_s8_neon(const PoolGeom& g, int32_t zp, const int8_t* x, int8_t* y);
#endif

}  // namespace s8
}  // namespace sdk
