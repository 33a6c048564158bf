// Reference reductions (ReduceSum/Mean/Max/Min/Prod/L2/SumSquare), header-only templates
// that each op file instantiates for the dtypes it takes, so a build with one of them
// compiles only that one.
//
// The op's prepare (ops/reduce_op.h) merges neighbouring dims that are reduced (or kept)
// together and drops size-1 dims, leaving up to three reduced runs; each run is one pass
// (outer, n, inner): y[o, i] = combine over k of x[o, k, i], innermost run first, the
// element map (square, |x|) on the first pass only, then one finalize over the output
// (divide by the count, square root).
#pragma once

#include <math.h>
#include <stdint.h>

#include "core/op.h"
#include "kernels/unroll.h"

namespace sdk {
namespace ref {
namespace reduce {

struct Pass {
    int64_t outer, n, inner;
};

constexpr int kMaxPasses = 3;
constexpr int64_t kBlock = 256;  // lanes per task when inner > 1

template <typename T, class Op>
struct PassJob {
    const T* x;
    T* y;
    Pass p;
};

template <class Op, bool kMap, typename T>
inline T elem(T v) {
    return kMap ? Op::map(v) : v;
}

// Task t = (outer step, block of lanes); kMap: the element map applies (first pass).
template <typename T, class Op, bool kMap>
void pass_tasks(void* arg, int64_t begin, int64_t end) {
    const PassJob<T, Op>& j = *static_cast<const PassJob<T, Op>*>(arg);
    const int64_t n = j.p.n, inner = j.p.inner;
    const int64_t blocks = (inner + kBlock - 1) / kBlock;
    for (int64_t t = begin; t < end; ++t) {
        const int64_t o = t / blocks, i0 = (t % blocks) * kBlock;
        const int64_t w = inner - i0 < kBlock ? inner - i0 : kBlock;
        const T* x = j.x + o * n * inner + i0;
        T* y = j.y + o * inner + i0;
        if (inner == 1) {
            // 8 independent partial results (one running result is a chain of dependent
            // operations, latency-bound), then combined
            T part[8];
            const int64_t m = n < 8 ? n : 8;
            int64_t k = 0;
            for (; k < m; ++k) part[k] = elem<Op, kMap>(x[k]);
            for (; k + 8 <= n; k += 8)
                SDK_UNROLL for (int l = 0; l < 8; ++l) part[l] = Op::combine(part[l], elem<Op, kMap>(x[k + l]));
            T acc = part[0];
            for (int64_t l = 1; l < m; ++l) acc = Op::combine(acc, part[l]);
            for (; k < n; ++k) acc = Op::combine(acc, elem<Op, kMap>(x[k]));
            *y = acc;
            continue;
        }
        for (int64_t i = 0; i < w; ++i) y[i] = elem<Op, kMap>(x[i]);
        for (int64_t k = 1; k < n; ++k) {
            const T* xk = x + k * inner;
            for (int64_t i = 0; i < w; ++i) y[i] = Op::combine(y[i], elem<Op, kMap>(xk[i]));
        }
    }
}

// Runs the passes from x into y (n_out elements, each reducing `count` inputs) through
// `scratch` (room for the first pass's output, plus the second's when there are three),
// then the op's finalize over y.
template <typename T, class Op>
void run(const Pass* passes, int npasses, int64_t n_out, int64_t count, const T* x, T* y, T* scratch,
         ThreadPool* pool) {
    const T* src = x;
    for (int k = 0; k < npasses; ++k) {
        const Pass& p = passes[k];
        T* dst = k == npasses - 1 ? y : scratch + (k == 0 ? 0 : passes[0].outer * passes[0].inner);
        PassJob<T, Op> j = {src, dst, p};
        const int64_t blocks = p.inner == 1 ? 1 : (p.inner + kBlock - 1) / kBlock;
        const int64_t work = p.n * (p.inner < kBlock ? p.inner : kBlock);
        const int64_t grain = (1 << 14) / (work > 0 ? work : 1);
        ParallelFn fn = pass_tasks<T, Op, false>;
        if constexpr (Op::kHasMap)
            if (k == 0) fn = pass_tasks<T, Op, true>;
        parallel_for(pool, p.outer * blocks, grain < 1 ? 1 : grain, fn, &j);
        src = dst;
    }
    if (npasses == 0)  // every reduced dim has size 1: the map alone
        for (int64_t i = 0; i < n_out; ++i) y[i] = Op::map(x[i]);
    Op::finalize(y, n_out, count);
}

// The ops. map: applied to each element once; combine: associative; finalize(y, n, count):
// over the n outputs, count = the number of elements each one reduced.
template <typename T>
struct Sum {
    static constexpr bool kHasMap = false;
    static T map(T v) { return v; }
    static T combine(T a, T b) { return a + b; }
    static void finalize(T*, int64_t, int64_t) {}
};
template <typename T>
struct Mean {
    static constexpr bool kHasMap = false;
    static T map(T v) { return v; }
    static T combine(T a, T b) { return a + b; }
    static void finalize(T* y, int64_t n, int64_t count) {
        for (int64_t i = 0; i < n; ++i) y[i] = y[i] / (T)count;
    }
};
template <typename T>
struct Max {
    static constexpr bool kHasMap = false;
    static T map(T v) { return v; }
    // NaN propagates, as in onnxruntime
    static T combine(T a, T b) { return (b > a || b != b) ? b : a; }
    static void finalize(T*, int64_t, int64_t) {}
};
template <typename T>
struct Min {
    static constexpr bool kHasMap = false;
    static T map(T v) { return v; }
    static T combine(T a, T b) { return (b < a || b != b) ? b : a; }
    static void finalize(T*, int64_t, int64_t) {}
};
template <typename T>
struct Prod {
    static constexpr bool kHasMap = false;
    static T map(T v) { return v; }
    static T combine(T a, T b) { return a * b; }
    static void finalize(T*, int64_t, int64_t) {}
};
template <typename T>
struct SumSquare {
    static constexpr bool kHasMap = true;
    static T map(T v) { return v * v; }
    static T combine(T a, T b) { return a + b; }
    static void finalize(T*, int64_t, int64_t) {}
};
template <typename T>
struct L2 {
    static constexpr bool kHasMap = true;
    static T map(T v) { return v * v; }
    static T combine(T a, T b) { return a + b; }
    static void finalize(T* y, int64_t n, int64_t) {
        for (int64_t i = 0; i < n; ++i) y[i] = (T)sqrt((double)y[i]);
    }
};

}  // namespace reduce
}  // namespace ref
}  // namespace sdk

namespace sdk {
namespace ref {
namespace reduce {

// ArgMax (kMax) / ArgMin along the middle axis of (outer, n, inner): the first index of
// the extreme value, the last with `last` (select_last_index). Lanes go in blocks so the
// loads stay contiguous.
template <typename T, bool kMax>
void arg(const T* x, int64_t* y, int64_t outer, int64_t n, int64_t inner, bool last) {
    T best[64];
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t i0 = 0; i0 < inner; i0 += 64) {
            const int64_t w = inner - i0 < 64 ? inner - i0 : 64;
            const T* xo = x + o * n * inner + i0;
            int64_t* yo = y + o * inner + i0;
            for (int64_t i = 0; i < w; ++i) {
                best[i] = xo[i];
                yo[i] = 0;
            }
            for (int64_t k = 1; k < n; ++k) {
                const T* xk = xo + k * inner;
                for (int64_t i = 0; i < w; ++i) {
                    const T v = xk[i];
                    const bool better = kMax ? (v > best[i] || (last && v == best[i]))
                                             : (v < best[i] || (last && v == best[i]));
                    if (better) {
                        best[i] = v;
                        yo[i] = k;
                    }
                }
            }
        }
}

}  // namespace reduce
}  // namespace ref
}  // namespace sdk
