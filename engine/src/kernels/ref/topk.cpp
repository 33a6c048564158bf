// TopK: per lane, a heap of the k best seen so far (its root the worst of them), then the
// heap emptied worst-first from the back: O(n log k), best first, ties by lower index.
#include "kernels/ref/scan.h"

namespace sdk {
namespace ref {
namespace {

template <typename T>
struct Item {
    T v;
    int64_t i;
};

template <typename T>
struct Job {
    const TopKParams* p;
    const T* x;
    T* values;
    int64_t* indices;
    const RunContext* ctx;
};

template <typename T>
inline bool better(const Item<T>& a, const Item<T>& b, bool largest) {
    if (a.v == b.v) return a.i < b.i;
    return largest ? a.v > b.v : a.v < b.v;
}

// Sift down from `at` in a heap of n items whose root is the worst (everything below it
// is better).
template <typename T>
inline void sift(Item<T>* h, int64_t n, int64_t at, bool largest) {
    for (;;) {
        int64_t c = 2 * at + 1;
        if (c >= n) return;
        if (c + 1 < n && better(h[c], h[c + 1], largest)) ++c;  // the worse child
        if (!better(h[at], h[c], largest)) return;
        Item<T> t = h[at];
        h[at] = h[c];
        h[c] = t;
        at = c;
    }
}

template <typename T>
void lanes(void* arg, int64_t begin, int64_t end) {
    const Job<T>& j = *static_cast<const Job<T>*>(arg);
    const TopKParams& p = *j.p;
    Item<T>* h = static_cast<Item<T>*>(j.ctx->thread_scratch());
    for (int64_t t = begin; t < end; ++t) {
        const int64_t o = t / p.inner, in = t % p.inner;
        const T* x = j.x + o * p.n * p.inner + in;
        int64_t m = 0;
        for (int64_t e = 0; e < p.n; ++e) {
            const Item<T> it = {x[e * p.inner], e};
            if (m < p.k) {  // push, sift up
                int64_t c = m++;
                h[c] = it;
                while (c > 0) {
                    const int64_t par = (c - 1) / 2;
                    if (!better(h[par], h[c], p.largest)) break;
                    Item<T> tmp = h[par];
                    h[par] = h[c];
                    h[c] = tmp;
                    c = par;
                }
            } else if (better(it, h[0], p.largest)) {
                h[0] = it;
                sift(h, m, 0, p.largest);
            }
        }
        T* v = j.values + o * p.k * p.inner + in;
        int64_t* ix = j.indices + o * p.k * p.inner + in;
        for (int64_t r = p.k - 1; r >= 0; --r) {  // the worst goes last
            v[r * p.inner] = h[0].v;
            ix[r * p.inner] = h[0].i;
            h[0] = h[--m];
            sift(h, m, 0, p.largest);
        }
    }
}

template <typename T>
void run(const TopKParams& p, const void* x, void* values, int64_t* indices, const RunContext& ctx) {
    Job<T> j = {&p, static_cast<const T*>(x), static_cast<T*>(values), indices, &ctx};
    const int64_t grain = (1 << 14) / (p.n > 0 ? p.n : 1);
    parallel_for(ctx.pool, p.outer * p.inner, grain < 1 ? 1 : grain, lanes<T>, &j);
}

}  // namespace

void topk(const TopKParams& p, const void* x, void* values, int64_t* indices, const RunContext& ctx) {
    switch (p.dtype) {
#if SDK_FEATURE_FP32
        case DType::F32: run<float>(p, x, values, indices, ctx); break;
#endif
        case DType::I32: run<int32_t>(p, x, values, indices, ctx); break;
        default: run<int64_t>(p, x, values, indices, ctx); break;
    }
}

}  // namespace ref
}  // namespace sdk
