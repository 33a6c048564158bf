// Reference fp32 2-D pooling (NCHW): MaxPool (kernels/ref/maxpool_f32.cpp) and
// AveragePool (kernels/ref/averagepool_f32.cpp).
#pragma once

#include <stdint.h>

#include "core/op.h"

// The MaxPool plane for a Relu's outputs (PoolParams::nonneg) is compiled with the Winograd part
// (the SDKs with dense 3x3 CNNs, whose pools follow Relu convs); others keep their size.
#ifndef SDK_FEATURE_WINOGRAD  // (as kernels/ref/conv.h: the Meson option `winograd`)
#define SDK_FEATURE_WINOGRAD SDK_FEATURE_FP32
#endif

namespace sdk {
namespace ref {

struct PoolParams {
    int32_t N, C, H, W, OH, OW;
    int32_t KH, KW, sh, sw, dh, dw;
    int32_t pt, pl, pb, pr;
    bool count_include_pad;  // AveragePool only
    // MaxPool only: every input value is >= +0 and not NaN (a Relu's output: ops/maxpool.cpp), so
    // a plain max of the taps in any order is the ref's result (kernels/neon/maxpool_f32.cpp,
    // kernels/x86/maxpool_f32.cpp; set with NEON or x86 and SDK_FEATURE_WINOGRAD only)
    bool nonneg;
};

// Runs Plane(p, x plane, y plane) over the N * C planes, split over the pool.
template <typename T, void (*Plane)(const PoolParams&, const T*, T*)>
void pool_planes(const PoolParams& p, const T* x, T* y, ThreadPool* pool) {
    struct Job {
        const PoolParams* p;
        const T* x;
        T* y;
        static void range(void* arg, int64_t begin, int64_t end) {
            const Job& j = *static_cast<const Job*>(arg);
            const int64_t in = (int64_t)j.p->H * j.p->W, out = (int64_t)j.p->OH * j.p->OW;
            for (int64_t t = begin; t < end; ++t) Plane(*j.p, j.x + t * in, j.y + t * out);
        }
    };
    Job j = {&p, x, y};
    const int64_t per = (int64_t)p.OH * p.OW * p.KH * p.KW;
    const int64_t grain = per > 0 ? (1 << 15) / per : 1;
    parallel_for(pool, (int64_t)p.N * p.C, grain < 1 ? 1 : grain, Job::range, &j);
}

void maxpool_f32(const PoolParams& p, const float* x, float* y, ThreadPool* pool);
void averagepool_f32(const PoolParams& p, const float* x, float* y, ThreadPool* pool);

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
// AVX2 MaxPool plane (kernels/x86/maxpool_f32.cpp), taken for the geometries the NEON
// kernels take (stride 1 or 2 along W, at most 16 kernel rows) while the AVX2 fp32 tier is
// on (x86_sgemm_avx2_enabled(): SDK_F32_GEMM=ref|sse41 keeps the ref planes).
bool x86_maxpool_fits(const PoolParams& p);
void x86_maxpool_plane_f32(const PoolParams& p, const float* x, float* y);
// AVX2 AveragePool plane (kernels/x86/averagepool_f32.cpp): the same geometries without
// dilation, results equal to the ref's.
bool x86_averagepool_fits(const PoolParams& p);
void x86_averagepool_plane_f32(const PoolParams& p, const float* x, float* y);
#endif

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
// NEON planes (kernels/neon/{maxpool,averagepool}_f32.cpp), taken for stride 1 or 2 along
// W and kernels of at most 16 rows (neon_pool::fits) while the fp32 NEON tier is on
// (neon_sgemm_enabled(): SDK_F32_GEMM=ref keeps the ref planes).
void neon_maxpool_plane_f32(const PoolParams& p, const float* x, float* y);
void neon_averagepool_plane_f32(const PoolParams& p, const float* x, float* y);
#endif

}  // namespace ref
}  // namespace sdk
