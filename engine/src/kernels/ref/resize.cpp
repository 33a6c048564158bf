// Resize: the per-axis sampling tables (prepare time, in double as the ONNX reference),
// nearest for any element size, the tf_crop_and_resize extrapolation, the SIMD switch.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"  // str_eq

#include "kernels/ref/resize.h"

// The tables must be the same on every target (int8 results are bit-exact with the
// converter's numpy model of them): no fused multiply-add contraction here.
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

namespace sdk {
namespace ref {
namespace {

int g_simd = -1;

double coordinate(const ResizeSpec& s, const ResizeAxisSpec& a, double x, bool* outside) {
    // the reference's lengths: the input's, and the resized one as scale * input (not the
    // integer output size; they differ when scales are given)
    const double scale = a.scale, in = a.in, out = scale * in;
    *outside = false;
    switch (s.coord) {
        case kCoordHalfPixelSymmetric: {
            const double adjustment = a.out / out;
            const double center = in / 2;
            const double offset = center * (1 - adjustment);
            return offset + (x + 0.5) / scale - 0.5;
        }
        case kCoordPytorchHalfPixel: return out == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
        case kCoordAlignCorners: return out == 1 ? 0.0 : x * (in - 1) / (out - 1);
        case kCoordAsymmetric: return x / scale;
        case kCoordTfHalfPixelForNN: return (x + 0.5) / scale;
        case kCoordTfCropAndResize: {
            double v = out == 1 ? (a.roi[1] - a.roi[0]) * (in - 1) / 2 : x * (a.roi[1] - a.roi[0]) * (in - 1) / (out - 1);
            v = v + a.roi[0] * (in - 1);
            *outside = v < 0 || v > in - 1;
            return v;
        }
        default: return (x + 0.5) / scale - 0.5;  // half_pixel
    }
}

double cubic_kernel(double x, double A) {  // the antialias form, |x| in [0, 2)
    x = fabs(x);
    const double x2 = x * x, x3 = x * x2;
    if (x <= 1) return (A + 2) * x3 - (A + 3) * x2 + 1;
    if (x < 2) return A * x3 - 5 * A * x2 + 8 * A * x - 4 * A;
    return 0.0;
}

// The ntaps coefficients for `ratio` in (0, 1] (1 when the coordinate is an integer).
void coefficients(const ResizeSpec& s, double ratio, double scale, int32_t n, double* c) {
    const double A = s.cubic_a;
    if (s.antialias) {
        const double sc = scale < 1.0 ? scale : 1.0;
        const int32_t start = 1 - n / 2;
        double sum = 0;
        for (int32_t t = 0; t < n; ++t) {
            const double arg = ((double)(start + t) - ratio) * sc;
            if (s.mode == kResizeLinear) {
                const double v = 1 - fabs(arg);
                c[t] = v < 0 ? 0 : (v > 1 ? 1 : v);
            } else {
                c[t] = cubic_kernel(arg, A);
            }
        }
        for (int32_t t = 0; t < n; ++t) sum += c[t];
        for (int32_t t = 0; t < n; ++t) c[t] = c[t] / sum;
        return;
    }
    if (s.mode == kResizeLinear) {
        c[0] = 1 - ratio;
        c[1] = ratio;
        return;
    }
    const double r1 = ratio + 1, q = 1 - ratio, q1 = (1 - ratio) + 1;
    c[0] = ((A * r1 - 5 * A) * r1 + 8 * A) * r1 - 4 * A;
    c[1] = ((A + 2) * ratio - (A + 3)) * ratio * ratio + 1;
    c[2] = ((A + 2) * q - (A + 3)) * q * q + 1;
    c[3] = ((A * q1 - 5 * A) * q1 + 8 * A) * q1 - 4 * A;
}

inline int32_t clamp_index(int64_t i, int32_t n) { return (int32_t)(i < 0 ? 0 : (i >= n ? n - 1 : i)); }

}  // namespace

namespace {

bool simd_supported() {
#if SDK_FEATURE_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#elif SDK_FEATURE_NEON && defined(__ARM_NEON)
    return true;
#else
    return false;
#endif
}

}  // namespace

bool resize_simd() {
    int s = __atomic_load_n(&g_simd, __ATOMIC_RELAXED);
    if (s < 0) {
        const char* force = getenv("SDK_F32_GEMM");
        s = !(force && str_eq(force, "ref")) && simd_supported() ? 1 : 0;
        __atomic_store_n(&g_simd, s, __ATOMIC_RELAXED);
    }
    return s == 1;
}

void resize_set_simd(int on) {
    __atomic_store_n(&g_simd, on < 0 ? -1 : (on && simd_supported() ? 1 : 0), __ATOMIC_RELAXED);
}

// A sampling coordinate as an integer: bounded first (a model's scales and roi can put it far
// outside any axis, where the float->integer conversion would be undefined; every use clamps
// or compares it against the axis, so +-2^52 means the same there), NaN as 0.
static int64_t to_index(double v) {
    const double lim = 4503599627370496.0;  // 2^52
    return v == v ? (int64_t)(v < -lim ? -lim : (v > lim ? lim : v)) : 0;
}

int32_t resize_ntaps(const ResizeSpec& s, const ResizeAxisSpec& a) {
    if (s.mode == kResizeNearest) return 1;
    if (!s.antialias) return s.mode == kResizeLinear ? 2 : 4;
    const double sc = a.scale < 1.0 ? a.scale : 1.0;
    const int64_t start = to_index(floor((s.mode == kResizeLinear ? -1.0 : -2.0) / sc)) + 1;
    const int64_t n = 2 - 2 * start;
    return n > kResizeMaxTaps ? kResizeMaxTaps + 1 : (int32_t)n;
}

bool resize_axis_table(const ResizeSpec& s, const ResizeAxisSpec& a, int32_t n, int32_t* idx, float* w, int16_t* wq,
                       uint8_t* outside) {
    // an axis of scale 1 (within 1e-9) keeping its size and its whole roi is left alone, as
    // the reference does (whatever its coordinate transform would make of it)
    if (a.out == a.in && fabs(a.scale - 1.0) <= 1e-9 * (a.scale > 1.0 ? a.scale : 1.0) &&
        (s.coord != kCoordTfCropAndResize || (a.roi[0] == 0.0 && fabs(a.roi[1] - 1.0) <= 1e-9))) {
        for (int32_t o = 0; o < a.out; ++o) {
            for (int32_t t = 0; t < n; ++t) {
                idx[o * n + t] = o;
                if (w) w[o * n + t] = t == 0 ? 1.0f : 0.0f;
                if (wq) wq[o * n + t] = t == 0 ? 2048 : 0;
            }
            if (outside) outside[o] = 0;
        }
        return true;
    }
    bool identity = a.out == a.in;
    double c[kResizeMaxTaps];
    for (int32_t o = 0; o < a.out; ++o) {
        bool out_of_range = false;
        const double x = coordinate(s, a, (double)o, &out_of_range);
        if (outside) outside[o] = out_of_range;
        identity = identity && !out_of_range;
        const double xf = floor(x);
        const bool integer = x == xf;
        if (s.mode == kResizeNearest) {
            int64_t i = to_index(xf);
            if (!integer) {
                const double ratio = x - xf;
                bool up;
                switch (s.nearest_mode) {
                    case kRoundPreferCeil: up = ratio >= 0.5; break;
                    case kFloor: up = false; break;
                    case kCeil: up = true; break;
                    default: up = ratio > 0.5; break;
                }
                i += up;
            }
            // exclude_outside: a pick outside the input weighs 0 (onnx's reference), so the
            // output there is 0, written like tf_crop_and_resize's extrapolation
            if (s.exclude_outside && (i < 0 || i >= a.in) && outside) outside[o] = 1;
            idx[o] = clamp_index(i, a.in);
            identity = identity && idx[o] == o && !(outside && outside[o]);
            continue;
        }
        const double ratio = integer ? 1.0 : x - xf;
        coefficients(s, ratio, a.scale, n, c);
        // the n inputs nearest to x, ties to the smaller (n is even): ONNX's window
        const double pad = n / 2;
        const double xp = x + pad;
        const double pf = floor(xp);
        const int64_t start = to_index(pf) + (xp - pf == 0 ? -(n / 2) : -(n / 2) + 1) - (int64_t)pad;
        if (s.exclude_outside) {
            double sum = 0;
            for (int32_t t = 0; t < n; ++t) {
                const int64_t j = start + t;
                if (j < 0 || j >= a.in) c[t] = 0;
            }
            for (int32_t t = 0; t < n; ++t) sum += c[t];
            if (sum == 0) sum = 1;
            for (int32_t t = 0; t < n; ++t) c[t] = c[t] / sum;
        }
        double self = 0;  // weight on input o (identity test)
        for (int32_t t = 0; t < n; ++t) {
            const int32_t j = clamp_index(start + t, a.in);
            idx[o * n + t] = j;
            w[o * n + t] = (float)c[t];
            if (j == o) self += c[t];
            else if (c[t] != 0) identity = false;
        }
        identity = identity && self == 1.0;
        if (wq) {  // Q11, then the rounding error put on the largest weight so they sum to 2048
            int32_t sum = 0, big = 0;
            for (int32_t t = 0; t < n; ++t) {
                const double v = c[t] * 2048.0;
                const int32_t q = (int32_t)(v < 0 ? -floor(-v + 0.5) : floor(v + 0.5));
                wq[o * n + t] = (int16_t)q;
                sum += q;
                if (fabs(c[t]) > fabs(c[big])) big = t;
            }
            wq[o * n + big] = (int16_t)(wq[o * n + big] + (2048 - sum));
        }
    }
    return identity;
}

// ---------------------------------------------------------------- nearest

namespace {

struct NearestJob {
    const ResizePlan* p;
    const char* x;
    char* y;
    int64_t rows_per_task, tasks_per_plane;
};

template <typename T>
inline void map_row(const T* src, T* dst, const int32_t* idx, int64_t n) {
    for (int64_t j = 0; j < n; ++j) dst[j] = src[idx[j]];
}

// Task t: output plane t / tasks_per_plane (the dims before the last two), a block of its
// rows. An output row reading the same input row as the one before it is a memcpy of that
// row (every second row of a 2x upsample).
void nearest_tasks(void* arg, int64_t t0, int64_t t1) {
    const NearestJob& jb = *static_cast<const NearestJob*>(arg);
    const ResizePlan& p = *jb.p;
    const int r = p.rank;
    const size_t es = (size_t)p.elem_size;
    const ResizeAxis& W = p.ax[r - 1];
    const int32_t zero = 0;
    const int32_t* hidx = r >= 2 ? p.ax[r - 2].idx : &zero;
    const int64_t ih = r >= 2 ? p.in_dims[r - 2] : 1, oh = r >= 2 ? p.out_dims[r - 2] : 1;
    const int64_t iw = W.in, ow = W.out;
    const bool simd = p.dup2_w && resize_simd();
    int64_t in_strides[kMaxRank], s = ih * iw;
    for (int k = r - 3; k >= 0; --k) {
        in_strides[k] = s;
        s *= p.in_dims[k];
    }
    for (int64_t t = t0; t < t1; ++t) {
        const int64_t plane = t / jb.tasks_per_plane;
        const int64_t r0 = (t % jb.tasks_per_plane) * jb.rows_per_task;
        const int64_t r1 = r0 + jb.rows_per_task < oh ? r0 + jb.rows_per_task : oh;
        int64_t src_plane = 0, lin = plane;
        for (int k = r - 3; k >= 0; --k) {
            src_plane += (int64_t)p.ax[k].idx[lin % p.out_dims[k]] * in_strides[k];
            lin /= p.out_dims[k];
        }
        const char* xp = jb.x + src_plane * es;
        char* yp = jb.y + (plane * oh) * ow * es;
        for (int64_t o = r0; o < r1; ++o) {
            char* dst = yp + o * ow * es;
            if (o > r0 && hidx[o] == hidx[o - 1]) {
                memcpy(dst, dst - ow * es, ow * es);
                continue;
            }
            const char* in = xp + (int64_t)hidx[o] * iw * es;
            if (W.identity) {
                memcpy(dst, in, ow * es);
                continue;
            }
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
            if (simd) {
                neon_resize_dup2(in, dst, iw, (int32_t)es);
                continue;
            }
#endif
#if SDK_FEATURE_X86
            if (simd) {
                x86_resize_dup2_avx2(in, dst, iw, (int32_t)es);
                continue;
            }
#endif
            switch (es) {
                case 8: map_row((const uint64_t*)in, (uint64_t*)dst, W.idx, ow); break;
                case 4: map_row((const uint32_t*)in, (uint32_t*)dst, W.idx, ow); break;
                case 2: map_row((const uint16_t*)in, (uint16_t*)dst, W.idx, ow); break;
                default: map_row((const uint8_t*)in, (uint8_t*)dst, W.idx, ow); break;
            }
        }
    }
    (void)simd;
}

}  // namespace

void resize_nearest(const ResizePlan& p, const void* x, void* y, ThreadPool* pool) {
    const int r = p.rank;
    const int64_t oh = r >= 2 ? p.out_dims[r - 2] : 1, row_bytes = p.out_dims[r - 1] * p.elem_size;
    int64_t planes = 1;
    for (int k = 0; k + 2 < r; ++k) planes *= p.out_dims[k];
    NearestJob jb = {&p, static_cast<const char*>(x), static_cast<char*>(y), 0, 0};
    int64_t per = (1 << 15) / row_bytes + 1;  // rows per task: ~32 KB of output
    jb.rows_per_task = per < oh ? per : oh;
    jb.tasks_per_plane = (oh + jb.rows_per_task - 1) / jb.rows_per_task;
    parallel_for(pool, planes * jb.tasks_per_plane, 1, nearest_tasks, &jb);
    if (p.any_outside) resize_extrapolate(p, y);
}

void resize_extrapolate(const ResizePlan& p, void* y) {
    const int r = p.rank;
    const int64_t es = p.elem_size, ow = p.out_dims[r - 1];
    const uint8_t* wout = p.ax[r - 1].outside;
    int64_t rows = 1;
    for (int k = 0; k < r - 1; ++k) rows *= p.out_dims[k];
    int64_t pos[kMaxRank] = {0, 0, 0, 0, 0, 0};
    char* dst = static_cast<char*>(y);
    for (int64_t row = 0; row < rows; ++row, dst += ow * es) {
        bool all = false;
        for (int k = 0; k < r - 1 && !all; ++k) all = p.ax[k].outside && p.ax[k].outside[pos[k]];
        for (int64_t j = 0; j < ow; ++j)
            if (all || (wout && wout[j])) memcpy(dst + j * es, &p.extrap, (size_t)es);
        for (int k = r - 2; k >= 0; --k) {
            if (++pos[k] < p.out_dims[k]) break;
            pos[k] = 0;
        }
    }
}

}  // namespace ref
}  // namespace sdk
