// Reference fp32 AveragePool. The divisor follows onnxruntime: with count_include_pad the
// window clipped to the padded input (so ceil_mode overhang past the end padding is not
// counted), without it the window clipped to the real input.
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

// Dilated windows (AveragePool-19): position by position; with count_include_pad the
// divisor counts the window positions inside the padded input (as the int8 kernel does).
void dilated_plane(const PoolParams& p, const float* xin, float* out) {
    for (int oh = 0; oh < p.OH; ++oh) {
        for (int ow = 0; ow < p.OW; ++ow) {
            float s = 0.0f;
            int valid = 0, padded = 0;
            for (int kh = 0; kh < p.KH; ++kh) {
                const int ih = oh * p.sh - p.pt + kh * p.dh;
                for (int kw = 0; kw < p.KW; ++kw) {
                    const int iw = ow * p.sw - p.pl + kw * p.dw;
                    if (ih < p.H + p.pb && iw < p.W + p.pr) ++padded;
                    if (ih < 0 || ih >= p.H || iw < 0 || iw >= p.W) continue;
                    s += xin[(int64_t)ih * p.W + iw];
                    ++valid;
                }
            }
            const int cnt = p.count_include_pad ? padded : valid;
            out[(int64_t)oh * p.OW + ow] = cnt > 0 ? s / (float)cnt : 0.0f;
        }
    }
}

void plane(const PoolParams& p, const float* xin, float* out) {
    if (p.dh != 1 || p.dw != 1) return dilated_plane(p, xin, out);
    for (int oh = 0; oh < p.OH; ++oh) {
        int hs = oh * p.sh - p.pt;
        int he = hs + p.KH > p.H + p.pb ? p.H + p.pb : hs + p.KH;
        int hsc = hs < 0 ? 0 : hs, hec = he > p.H ? p.H : he;
        for (int ow = 0; ow < p.OW; ++ow) {
            int ws = ow * p.sw - p.pl;
            int we = ws + p.KW > p.W + p.pr ? p.W + p.pr : ws + p.KW;
            int wsc = ws < 0 ? 0 : ws, wec = we > p.W ? p.W : we;
            float s = 0.0f;
            for (int ih = hsc; ih < hec; ++ih) {
                const float* row = xin + (int64_t)ih * p.W;
                for (int iw = wsc; iw < wec; ++iw) s += row[iw];
            }
            int cnt = p.count_include_pad ? (he - hs) * (we - ws) : (hec - hsc) * (wec - wsc);
            out[(int64_t)oh * p.OW + ow] = cnt > 0 ? s / (float)cnt : 0.0f;
        }
    }
}

}  // namespace

void averagepool_f32(const PoolParams& p, const float* x, float* y, ThreadPool* pool) {
#if SDK_FEATURE_NEON && defined(__ARM_NEON)  // ---- NEON planes (kernels/neon/averagepool_f32.cpp)
    if (neon_pool::fits(p) && neon_sgemm_enabled() && p.dh == 1 && p.dw == 1) return pool_planes<float, neon_averagepool_plane_f32>(p, x, y, pool);
#endif
#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))  // ---- AVX2 planes (kernels/x86/averagepool_f32.cpp)
    if (x86_averagepool_fits(p) && x86_sgemm_avx2_enabled())
        return pool_planes<float, x86_averagepool_plane_f32>(p, x, y, pool);
#endif
    pool_planes<float, plane>(p, x, y, pool);
}

}  // namespace ref
}  // namespace sdk
