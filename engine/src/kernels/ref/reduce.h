// Reference reductions (ReduceSum/Mean/Max/Min/Prod/L2/SumSquare) and ArgMax/ArgMin.
//
// The op's prepare (ops/reduce_op.h) merges neighbouring dims that are reduced (or kept)
// together and drops size-1 dims, leaving up to three reduced runs; each run is one pass
// (outer, n, inner): y[o, i] = combine over k of x[o, k, i], innermost run first, the
// element map (square) on the first pass only, then the op's finalize over the output
// (divide by the count, square root).
//
// Size matters here (seven ops, several dtypes): the driver (`run_passes`, ops/reduce_op.h)
// is one function for all; each op file instantiates only `pass_tasks` for its own dtypes.
#pragma once

#include <math.h>
#include <stdint.h>

#include "core/op.h"

namespace sdk {
namespace ref {
namespace reduce {

struct Pass {
    int64_t outer, n, inner;
};

constexpr int kMaxPasses = 3;
constexpr int64_t kBlock = 256;  // lanes per task when inner > 1

struct PassJob {
    const void* x;
    void* y;
    Pass p;
};

// Task t = (outer step, block of lanes); kMap: the element map applies (first pass).
template <typename T, class Op, bool kMap>
void pass_tasks(void* arg, int64_t begin, int64_t end) {
    const PassJob& j = *static_cast<const PassJob*>(arg);
    const int64_t n = j.p.n, inner = j.p.inner;
    const int64_t blocks = (inner + kBlock - 1) / kBlock;
    for (int64_t t = begin; t < end; ++t) {
        const int64_t o = t / blocks, i0 = (t % blocks) * kBlock;
        const int64_t w = inner - i0 < kBlock ? inner - i0 : kBlock;
        const T* x = static_cast<const T*>(j.x) + o * n * inner + i0;
        T* y = static_cast<T*>(j.y) + o * inner + i0;
        if (inner == 1 && T(1) / T(2) != T(0)) {
            // floats: 4 independent partial results (one running result is a chain of
            // dependent operations, latency-bound), then combined
            T part[4];
            int64_t k = 0;
            for (; k < 4 && k < n; ++k) part[k] = kMap ? Op::map(x[k]) : x[k];
            for (; k + 4 <= n; k += 4)
                for (int l = 0; l < 4; ++l) part[l] = Op::combine(part[l], kMap ? Op::map(x[k + l]) : x[k + l]);
            T acc = part[0];
            for (int64_t l = 1; l < 4 && l < n; ++l) acc = Op::combine(acc, part[l]);
            for (; k < n; ++k) acc = Op::combine(acc, kMap ? Op::map(x[k]) : x[k]);
            *y = acc;
            continue;
        }
        if (inner == 1) {
            T acc = kMap ? Op::map(x[0]) : x[0];
            for (int64_t k = 1; k < n; ++k) acc = Op::combine(acc, kMap ? Op::map(x[k]) : x[k]);
            *y = acc;
            continue;
        }
        for (int64_t i = 0; i < w; ++i) y[i] = kMap ? Op::map(x[i]) : x[i];
        for (int64_t k = 1; k < n; ++k) {
            const T* xk = x + k * inner;
            for (int64_t i = 0; i < w; ++i) y[i] = Op::combine(y[i], kMap ? Op::map(xk[i]) : xk[i]);
        }
    }
}

// The ops: map (applied to each element once; ops without one never instantiate it),
// combine (associative). NaN propagates through Max/Min, as in onnxruntime.
template <typename T>
struct Sum {
    static constexpr bool kHasMap = false;
    static T map(T v) { return v; }
    static T combine(T a, T b) { return a + b; }
};
template <typename T>
struct Max {
    static constexpr bool kHasMap = false;
    static T map(T v) { return v; }
    static T combine(T a, T b) { return (b > a || b != b) ? b : a; }
};
template <typename T>
struct Min {
    static constexpr bool kHasMap = false;
    static T map(T v) { return v; }
    static T combine(T a, T b) { return (b < a || b != b) ? b : a; }
};
template <typename T>
struct Prod {
    static constexpr bool kHasMap = false;
    static T map(T v) { return v; }
    static T combine(T a, T b) { return a * b; }
};
template <typename T>
struct SumSquare {
    static constexpr bool kHasMap = true;
    static T map(T v) { return v * v; }
    static T combine(T a, T b) { return a + b; }
};
template <typename T>
using Mean = Sum<T>;  // finalize: / count
template <typename T>
using L2 = SumSquare<T>;  // finalize: sqrt

// ---- ArgMax / ArgMin: along the middle axis of (outer, n, inner), the first index of the
// extreme value (the last with `last`: select_last_index), every dtype through one loop
// over order-preserving int64 keys (f32 bits mapped so that integer order is float order,
// -0 as +0; NaN above every number).
inline int64_t order_key(const void* x, DType t, int64_t i) {
    if (t == DType::I64) return static_cast<const int64_t*>(x)[i];
    if (t == DType::I32) return static_cast<const int32_t*>(x)[i];
    int32_t b = static_cast<const int32_t*>(x)[i];
    if (b == (int32_t)0x80000000) b = 0;
    return b >= 0 ? b : b ^ 0x7fffffff;
}

template <bool kMax>
void arg(const void* x, DType t, int64_t* y, int64_t outer, int64_t n, int64_t inner, bool last) {
    int64_t best[64];
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t i0 = 0; i0 < inner; i0 += 64) {
            const int64_t w = inner - i0 < 64 ? inner - i0 : 64;
            const int64_t base = o * n * inner + i0;
            int64_t* yo = y + o * inner + i0;
            for (int64_t i = 0; i < w; ++i) {
                best[i] = order_key(x, t, base + i);
                yo[i] = 0;
            }
            for (int64_t k = 1; k < n; ++k)
                for (int64_t i = 0; i < w; ++i) {
                    const int64_t v = order_key(x, t, base + k * inner + i);
                    if (kMax ? (v > best[i] || (last && v == best[i])) : (v < best[i] || (last && v == best[i]))) {
                        best[i] = v;
                        yo[i] = k;
                    }
                }
        }
}

}  // namespace reduce
}  // namespace ref
}  // namespace sdk
