// Reference fp32 Softmax / LogSoftmax: max-subtracted exp, then one reciprocal multiply per
// element (LogSoftmax: x - max - log(sum)). Contiguous rows (the last axis, as attention
// has it) go to the SIMD row kernel of the fp32 tier when there is one; other axes run
// over blocks of neighbouring lanes so the inner loops stay contiguous.
#include <math.h>

#include "kernels/ref/softmax.h"
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
#include "kernels/ref/sgemm_f32.h"  // neon_sgemm_enabled(): the fp32 NEON tier
#endif
#if SDK_FEATURE_X86
#include "kernels/ref/sgemm_f32.h"  // x86_sgemm_avx2_enabled(): the AVX2 tier
#endif

namespace sdk {
namespace ref {
namespace {

typedef void (*RowFn)(const float*, float*, int64_t, bool);
typedef void (*LanesFn)(const float*, float*, int64_t, int64_t, int64_t, bool);

struct Job {
    const float* x;
    float* y;
    int64_t n, inner;
    bool log;
    RowFn row;
    LanesFn block;
};

void rows(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    for (int64_t r = begin; r < end; ++r) j.row(j.x + r * j.n, j.y + r * j.n, j.n, j.log);
}

// Task = (outer, block of up to kSoftmaxLanes lanes).
void lanes(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const int64_t blocks = (j.inner + kSoftmaxLanes - 1) / kSoftmaxLanes;
    for (int64_t t = begin; t < end; ++t) {
        const int64_t o = t / blocks, i0 = (t % blocks) * kSoftmaxLanes;
        const int64_t w = j.inner - i0 < kSoftmaxLanes ? j.inner - i0 : kSoftmaxLanes;
        j.block(j.x + o * j.n * j.inner + i0, j.y + o * j.n * j.inner + i0, j.n, j.inner, w, j.log);
    }
}

}  // namespace

void softmax_lanes_f32(const float* x, float* y, int64_t n, int64_t inner, int64_t w, bool log) {
    float m[kSoftmaxLanes], s[kSoftmaxLanes];
    for (int64_t i = 0; i < w; ++i) {
        m[i] = -INFINITY;
        s[i] = 0.0f;
    }
    for (int64_t k = 0; k < n; ++k)
        for (int64_t i = 0; i < w; ++i) m[i] = x[k * inner + i] > m[i] ? x[k * inner + i] : m[i];
    for (int64_t k = 0; k < n; ++k)
        for (int64_t i = 0; i < w; ++i) {
            const float e = expf(x[k * inner + i] - m[i]);
            if (!log) y[k * inner + i] = e;
            s[i] += e;
        }
    for (int64_t i = 0; i < w; ++i) s[i] = log ? m[i] + logf(s[i]) : 1.0f / s[i];
    for (int64_t k = 0; k < n; ++k)
        for (int64_t i = 0; i < w; ++i) y[k * inner + i] = log ? x[k * inner + i] - s[i] : y[k * inner + i] * s[i];
}

void softmax_row_f32(const float* x, float* y, int64_t n, bool log) {
    float m = -INFINITY;
    for (int64_t k = 0; k < n; ++k) m = x[k] > m ? x[k] : m;
    float sum = 0.0f;
    for (int64_t k = 0; k < n; ++k) {
        const float e = expf(x[k] - m);
        if (!log) y[k] = e;
        sum += e;
    }
    if (log) {
        const float c = m + logf(sum);
        for (int64_t k = 0; k < n; ++k) y[k] = x[k] - c;
    } else {
        const float inv = 1.0f / sum;
        for (int64_t k = 0; k < n; ++k) y[k] *= inv;
    }
}

void softmax_f32(const float* x, float* y, int64_t outer, int64_t n, int64_t inner, bool log, ThreadPool* pool) {
    Job j = {x, y, n, inner, log, softmax_row_f32, softmax_lanes_f32};
#if SDK_FEATURE_NEON && defined(__ARM_NEON)
    if (neon_sgemm_enabled()) {
        j.row = neon_softmax_row_f32;
        j.block = neon_softmax_lanes_f32;
    }
#endif
#if SDK_FEATURE_X86
    if (x86_sgemm_avx2_enabled()) {
        j.row = x86_softmax_row_avx2;
        j.block = x86_softmax_lanes_avx2;
    }
#endif
    if (inner == 1) {
        const int64_t grain = (1 << 13) / n;
        parallel_for(pool, outer, grain < 1 ? 1 : grain, rows, &j);
        return;
    }
    const int64_t tasks = outer * ((inner + kSoftmaxLanes - 1) / kSoftmaxLanes);
    const int64_t grain = (1 << 13) / (n * kSoftmaxLanes);
    parallel_for(pool, tasks, grain < 1 ? 1 : grain, lanes, &j);
}

}  // namespace ref
}  // namespace sdk
