// int8 linear / cubic / antialias Resize over the last two axes (the others unresized),
// input and output with the same quantization. The weights are the fp32 ones in Q11
// (kernels/ref/resize.cpp: rounded, the rounding error moved to the largest tap so each
// output coordinate's weights sum to exactly 2048), so the zero point passes through:
//   row[j] = sum_t wq_w[j, t] * x[idx_w[j, t]]                   (int32)
//   y      = clamp((sum_t wq_h[t] * row_t[j] + 2^21) >> 22, -128, 127)
// The converter's numpy model of the int8 graph (quantize.simulate) computes the same.
#include "kernels/ref/resize_impl.h"
#if SDK_FEATURE_X86
#include "kernels/gemm_s8.h"  // the int8 tier
#endif

namespace sdk {
namespace ref {
namespace {

struct S8 {
    typedef int8_t In;
    typedef int32_t Acc;
    static constexpr bool kDirect = false;
    static void hrow(const ResizeAxis& W, const int8_t* src, int32_t* dst) {
        const int32_t n = W.ntaps;
        const int32_t* idx = W.idx;
        const int16_t* w = W.wq;
        for (int64_t j = 0; j < W.out; ++j, idx += n, w += n) {
            int32_t acc = 0;
            for (int32_t t = 0; t < n; ++t) acc += (int32_t)w[t] * src[idx[t]];
            dst[j] = acc;
        }
    }
    static void vrow(const int32_t* const* rows, const ResizeAxis& H, int64_t oh, int8_t* dst, int64_t len) {
        const int32_t n = H.ntaps;
        const int16_t* w = H.wq + oh * n;
#if SDK_FEATURE_X86
        if (s8::gemm_kernel() == s8::gemm_avx2) return x86_resize_vblend_s8_avx2(rows, w, n, dst, len);
#endif
        for (int64_t j = 0; j < len; ++j) {
            int32_t acc = 0;
            for (int32_t t = 0; t < n; ++t) acc += (int32_t)w[t] * rows[t][j];
            const int32_t v = (acc + (1 << 21)) >> 22;
            dst[j] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
        }
    }
};

}  // namespace

void resize_linear_s8(const ResizePlan& p, const int8_t* x, int8_t* y, const RunContext& ctx) {
    int64_t planes = 1;
    for (int k = 0; k < p.rank - 2; ++k) planes *= p.in_dims[k];
    resize_impl::fused<S8>(p, x, y, planes, ctx);
    if (p.any_outside) resize_extrapolate(p, y);
}

}  // namespace ref
}  // namespace sdk
