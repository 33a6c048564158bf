// fp32 linear / cubic / antialias Resize: the last two axes in one pass per image (row
// cache, see kernels/ref/resize_impl.h), each other resized axis as a row-blend pass
// through the scratch buffers, then the tf_crop_and_resize extrapolation.
#include "kernels/ref/resize_impl.h"

namespace sdk {
namespace ref {
namespace {

struct F32 {
    typedef float In;
    typedef float Acc;
    static constexpr bool kDirect = true;
    static void hrow(const ResizeAxis& W, const float* src, float* dst) {
        const int32_t n = W.ntaps;
        const int32_t* idx = W.idx;
        const float* w = W.w;
        if (n == 2) {
            for (int64_t j = 0; j < W.out; ++j, idx += 2, w += 2) dst[j] = w[0] * src[idx[0]] + w[1] * src[idx[1]];
            return;
        }
        for (int64_t j = 0; j < W.out; ++j, idx += n, w += n) {
            float acc = 0.0f;
            for (int32_t t = 0; t < n; ++t) acc += w[t] * src[idx[t]];
            dst[j] = acc;
        }
    }
    static void vrow(const float* const* rows, const ResizeAxis& H, int64_t oh, float* dst, int64_t len) {
        const float* w = H.w + oh * H.ntaps;
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
        if (resize_simd()) return neon_resize_vblend_f32(rows, w, H.ntaps, dst, len);
#endif
#if SDK_FEATURE_X86
        if (resize_simd()) return x86_resize_vblend_avx2(rows, w, H.ntaps, dst, len);
#endif
        resize_vblend_f32(rows, w, H.ntaps, dst, len);
    }
};

struct AxisJob {
    const ResizeAxis* a;
    const float* x;
    float* y;
    int64_t inner;
};

// Row (o, j) of an (outer, out, inner) pass.
void axis_rows(void* arg, int64_t r0, int64_t r1) {
    const AxisJob& jb = *static_cast<const AxisJob*>(arg);
    const ResizeAxis& a = *jb.a;
    const float* rows[kResizeMaxTaps];
    for (int64_t r = r0; r < r1; ++r) {
        const int64_t o = r / a.out, j = r % a.out;
        for (int32_t t = 0; t < a.ntaps; ++t) rows[t] = jb.x + (o * a.in + a.idx[j * a.ntaps + t]) * jb.inner;
        F32::vrow(rows, a, j, jb.y + r * jb.inner, jb.inner);
    }
}

}  // namespace

void resize_vblend_f32(const float* const* rows, const float* w, int32_t n, float* y, int64_t len) {
    if (n == 1) {
        const float w0 = w[0];
        for (int64_t j = 0; j < len; ++j) y[j] = w0 * rows[0][j];
        return;
    }
    if (n == 2) {
        const float w0 = w[0], w1 = w[1];
        const float *a = rows[0], *b = rows[1];
        for (int64_t j = 0; j < len; ++j) y[j] = w0 * a[j] + w1 * b[j];
        return;
    }
    for (int64_t j = 0; j < len; ++j) {
        float acc = 0.0f;
        for (int32_t t = 0; t < n; ++t) acc += w[t] * rows[t][j];
        y[j] = acc;
    }
}

void resize_linear_f32(const ResizePlan& p, const float* x, float* y, const RunContext& ctx) {
    const int r = p.rank;
    int64_t cur[kMaxRank];
    for (int k = 0; k < r; ++k) cur[k] = p.in_dims[k];
    int last = -1;  // the leading axis resized last (its pass writes y): passes run from r - 3 down
    for (int a = r - 3; a >= 0; --a)
        if (!p.ax[a].identity) last = a;
    float* bufs[2] = {static_cast<float*>(ctx.scratch), static_cast<float*>(ctx.scratch) + p.scratch_elems};
    int next = 0;
    int64_t planes = 1;
    for (int k = 0; k < r - 2; ++k) planes *= cur[k];
    float* dst = last < 0 ? y : bufs[next];
    resize_impl::fused<F32>(p, x, dst, planes, ctx);
    if (r >= 2) cur[r - 2] = p.h.out;
    cur[r - 1] = p.w.out;
    const float* src = dst;
    for (int a = r - 3; a >= 0; --a) {
        const ResizeAxis& ax = p.ax[a];
        if (ax.identity) continue;
        next ^= 1;
        dst = a == last ? y : bufs[next];
        int64_t outer = 1, inner = 1;
        for (int k = 0; k < a; ++k) outer *= cur[k];
        for (int k = a + 1; k < r; ++k) inner *= cur[k];
        AxisJob jb = {&ax, src, dst, inner};
        const int64_t grain = (1 << 14) / (inner * ax.ntaps) + 1;
        parallel_for(ctx.pool, outer * ax.out, grain, axis_rows, &jb);
        cur[a] = ax.out;
        src = dst;
    }
    if (p.any_outside) resize_extrapolate(p, y);
}

}  // namespace ref
}  // namespace sdk
