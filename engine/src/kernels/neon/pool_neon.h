// What the NEON pooling kernels share (kernels/neon/{maxpool,averagepool}_{f32,s8}.cpp):
// the output columns whose windows lie inside the input row (vector blocks there, the
// scalar ref formula at the borders) and the rows a window reads. Header-only, internal
// linkage: each op's kernel file stays independent of the others.
#pragma once

#include <stdint.h>

namespace sdk {
namespace neon_pool {

constexpr int kMaxRows = 16;  // kernel heights the NEON kernels take (taller: ref)

// Output columns [lo, end) where every kernel column reads inside the input row, and a
// stride-2 block's de-interleaving load (2 * lanes values from its first tap) too:
// blocks of any width that end by `end` need no border checks. G: ref::PoolParams or
// s8::PoolGeom (the same field names).
// exact: the caller's stride-2 blocks read no further than their windows (MaxPool's 3-wide
// kernel), so no room for the de-interleaving load is kept.
template <class G>
inline void interior(const G& p, int32_t* lo_out, int32_t* end_out, bool exact = false) {
    int32_t lo = 0, hi = p.OW;
    for (int kw = 0; kw < p.KW; ++kw) {
        const int off = kw * p.dw - p.pl;  // iw = ow * sw + off
        const int32_t l = off >= 0 ? 0 : (-off + p.sw - 1) / p.sw;
        const int32_t h = p.W - off <= 0 ? 0 : (p.W - off + p.sw - 1) / p.sw;
        lo = l > lo ? l : lo;
        hi = h < hi ? h : hi;
    }
    if (p.sw == 2 && !exact) {  // the load's last value, 2 * (ow + lanes - 1) + off_max + 1, is inside the row
        const int room = p.W - 2 - ((p.KW - 1) * p.dw - p.pl);
        const int32_t e = room >= 0 ? room / 2 + 1 : 0;
        hi = e < hi ? e : hi;
    }
    *lo_out = lo;
    *end_out = hi > lo ? hi : lo;
}

// Pointers to the input rows output row oh reads (kernel rows inside the input, in order).
template <class G, class T>
inline int window_rows(const G& p, const T* x, int oh, const T** rows) {
    int n = 0;
    for (int kh = 0; kh < p.KH; ++kh) {
        const int ih = oh * p.sh - p.pt + kh * p.dh;
        if (ih >= 0 && ih < p.H) rows[n++] = x + (int64_t)ih * p.W;
    }
    return n;
}

// Whether the NEON kernels take this geometry: stride 1 or 2 along W, at most kMaxRows
// kernel rows.
template <class G>
inline bool fits(const G& p) {
    return (p.sw == 1 || p.sw == 2) && p.KH <= kMaxRows;
}

}  // namespace neon_pool
}  // namespace sdk
