// TopK: per lane, a heap of the k best seen so far (its root the worst of them), then the
// heap emptied worst-first from the back: O(n log k), best first, ties by lower index.
// Every dtype goes through one loop over order-preserving int64 keys (ref::reduce's, as
// ArgMax); the values are then copied from the input by index.
#include <string.h>

#include "kernels/ref/reduce.h"
#include "kernels/ref/scan.h"

namespace sdk {
namespace ref {
namespace {

struct Item {
    int64_t key, i;
};

struct Job {
    const TopKParams* p;
    const void* x;
    void* values;
    int64_t* indices;
    const RunContext* ctx;
};

inline bool better(const Item& a, const Item& b, bool largest) {
    if (a.key == b.key) return a.i < b.i;
    return largest ? a.key > b.key : a.key < b.key;
}

// Sift down from `at` in a heap of n items whose root is the worst.
inline void sift(Item* h, int64_t n, int64_t at, bool largest) {
    for (;;) {
        int64_t c = 2 * at + 1;
        if (c >= n) return;
        if (c + 1 < n && better(h[c], h[c + 1], largest)) ++c;  // the worse child
        if (!better(h[at], h[c], largest)) return;
        const Item t = h[at];
        h[at] = h[c];
        h[c] = t;
        at = c;
    }
}

void lanes(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const TopKParams& p = *j.p;
    const size_t es = dtype_size(p.dtype);
    Item* h = static_cast<Item*>(j.ctx->thread_scratch());
    for (int64_t t = begin; t < end; ++t) {
        const int64_t o = t / p.inner, in = t % p.inner;
        const int64_t base = o * p.n * p.inner + in;
        int64_t m = 0;
        for (int64_t e = 0; e < p.n; ++e) {
            const Item it = {reduce::order_key(j.x, p.dtype, base + e * p.inner), e};
            if (m < p.k) {  // push, sift up
                int64_t c = m++;
                h[c] = it;
                while (c > 0) {
                    const int64_t par = (c - 1) / 2;
                    if (!better(h[par], h[c], p.largest)) break;
                    const Item tmp = h[par];
                    h[par] = h[c];
                    h[c] = tmp;
                    c = par;
                }
            } else if (better(it, h[0], p.largest)) {
                h[0] = it;
                sift(h, m, 0, p.largest);
            }
        }
        const int64_t out = o * p.k * p.inner + in;
        for (int64_t r = p.k - 1; r >= 0; --r) {  // the worst goes last
            const int64_t at = out + r * p.inner;
            j.indices[at] = h[0].i;
            memcpy(static_cast<char*>(j.values) + at * es,
                   static_cast<const char*>(j.x) + (base + h[0].i * p.inner) * es, es);
            h[0] = h[--m];
            sift(h, m, 0, p.largest);
        }
    }
}

}  // namespace

void topk(const TopKParams& p, const void* x, void* values, int64_t* indices, const RunContext& ctx) {
    Job j = {&p, x, values, indices, &ctx};
    const int64_t grain = (1 << 14) / (p.n > 0 ? p.n : 1);
    parallel_for(ctx.pool, p.outer * p.inner, grain < 1 ? 1 : grain, lanes, &j);
}

}  // namespace ref
}  // namespace sdk
