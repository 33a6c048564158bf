// Reference fp32 MaxPool: per (n, c) plane, windows clipped to the input (padding never wins).
#include <math.h>

#include "kernels/ref/pool.h"
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include "kernels/neon/pool_neon.h"
#include "kernels/ref/sgemm_f32.h"  // neon_sgemm_enabled(): the fp32 NEON tier
#endif
#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
#include "kernels/ref/sgemm_f32.h"  // x86_sgemm_avx2_enabled(): the AVX2 fp32 tier
#endif

namespace sdk {
namespace ref {
namespace {

void plane(const PoolParams& p, const float* xin, float* out) {
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

}  // namespace

void maxpool_f32(const PoolParams& p, const float* x, float* y, ThreadPool* pool) {
#if SDK_FEATURE_NEON && defined(__ARM_NEON)  // ---- NEON planes (kernels/neon/maxpool_f32.cpp)
    if (neon_pool::fits(p) && neon_sgemm_enabled()) return pool_planes<float, neon_maxpool_plane_f32>(p, x, y, pool);
#endif
#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))  // ---- AVX2 planes (kernels/x86/maxpool_f32.cpp)
    if (x86_maxpool_fits(p) && x86_sgemm_avx2_enabled()) return pool_planes<float, x86_maxpool_plane_f32>(p, x, y, pool);
#endif
    pool_planes<float, plane>(p, x, y, pool);
}

}  // namespace ref
}  // namespace sdk
