// dtype-independent part of the broadcasting kernels: the plan and the row walker.
#include "kernels/ref/binary.h"

#include <string.h>

namespace sdk {

bool broadcast_plan(const Shape* const* in, int n, Shape* out, BroadcastPlan* p) {
    int r = 0;
    for (int k = 0; k < n; ++k) r = in[k]->rank > r ? in[k]->rank : r;
    int64_t dk[kMaxBroadcastInputs][kMaxRank], d[kMaxRank];
    out->rank = r;
    for (int i = 0; i < r; ++i) {
        d[i] = 1;
        for (int k = 0; k < n; ++k) {
            const int ik = i - (r - in[k]->rank);
            dk[k][i] = ik >= 0 ? in[k]->dims[ik] : 1;
            if (dk[k][i] != 1) {
                if (d[i] != 1 && d[i] != dk[k][i]) return false;
                d[i] = dk[k][i];
            }
        }
        out->dims[i] = (int32_t)d[i];
    }
    // contiguous strides of each input in the output's index space, 0 where broadcast
    int64_t s[kMaxBroadcastInputs][kMaxRank];
    for (int k = 0; k < n; ++k) {
        int64_t c = 1;
        for (int i = r - 1; i >= 0; --i) {
            s[k][i] = dk[k][i] == 1 ? 0 : c;
            c *= dk[k][i];
        }
    }
    // drop size-1 dims, merge a dim into the next inner one when every input allows it
    int m = 0;
    p->n = n;
    p->count = 1;
    for (int i = 0; i < r; ++i) {
        p->count *= d[i];
        if (d[i] == 1) continue;
        bool merge = m > 0;
        for (int k = 0; k < n && merge; ++k) merge = p->st[k][m - 1] == s[k][i] * d[i];
        if (merge) {
            p->dims[m - 1] *= d[i];
            for (int k = 0; k < n; ++k) p->st[k][m - 1] = s[k][i];
            continue;
        }
        p->dims[m] = d[i];
        for (int k = 0; k < n; ++k) p->st[k][m] = s[k][i];
        ++m;
    }
    if (m == 0) {
        p->dims[0] = 1;
        for (int k = 0; k < n; ++k) p->st[k][0] = 0;
        m = 1;
    }
    p->rank = m;
    return true;
}

namespace {

struct Job {
    const Broadcast* b;
    const void* const* in;
    void* y;
};

// Rows [begin, end) of the innermost merged dimension.
void rows(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const Broadcast& b = *j.b;
    const BroadcastPlan& p = b.plan;
    const int r = p.rank, n = p.n;
    const int64_t inner = p.dims[r - 1];
    uint8_t unit[kMaxBroadcastInputs];
    bool fill = true;  // every input repeats one element along the row
    for (int k = 0; k < n; ++k) {
        unit[k] = p.st[k][r - 1] != 0;
        fill = fill && !unit[k];
    }
    // multi-index of row `begin` over the outer dims, and each input's element offset
    int64_t idx[kMaxRank] = {0, 0, 0, 0, 0, 0}, off[kMaxBroadcastInputs] = {0, 0, 0};
    int64_t rem = begin;
    for (int i = r - 2; i >= 0; --i) {
        idx[i] = rem % p.dims[i];
        rem /= p.dims[i];
        for (int k = 0; k < n; ++k) off[k] += idx[i] * p.st[k][i];
    }
    const size_t ey = b.esize[n];
    for (int64_t row = begin; row < end; ++row) {
        const void* ptr[kMaxBroadcastInputs];
        for (int k = 0; k < n; ++k) ptr[k] = static_cast<const char*>(j.in[k]) + off[k] * (int64_t)b.esize[k];
        char* y = static_cast<char*>(j.y) + row * inner * (int64_t)ey;
        if (fill) {  // one value, repeated
            b.fn(ptr, unit, y, 1, b.params);
            for (int64_t i = 1; i < inner; ++i) memcpy(y + i * ey, y, ey);
        } else {
            b.fn(ptr, unit, y, inner, b.params);
        }
        // next row: odometer over the outer dims
        for (int i = r - 2; i >= 0; --i) {
            for (int k = 0; k < n; ++k) off[k] += p.st[k][i];
            if (++idx[i] < p.dims[i]) break;
            for (int k = 0; k < n; ++k) off[k] -= p.st[k][i] * p.dims[i];
            idx[i] = 0;
        }
    }
}

// One row holding the whole output (e.g. a residual Add of same-shape tensors): element
// ranges, so the row is still split over the threads.
void flat(void* arg, int64_t begin, int64_t end) {
    const Job& j = *static_cast<const Job*>(arg);
    const Broadcast& b = *j.b;
    const BroadcastPlan& p = b.plan;
    uint8_t unit[kMaxBroadcastInputs];
    const void* ptr[kMaxBroadcastInputs];
    for (int k = 0; k < p.n; ++k) {
        unit[k] = p.st[k][0] != 0;
        ptr[k] = static_cast<const char*>(j.in[k]) + (unit[k] ? begin * (int64_t)b.esize[k] : 0);
    }
    b.fn(ptr, unit, static_cast<char*>(j.y) + begin * (int64_t)b.esize[p.n], end - begin, b.params);
}

}  // namespace

void broadcast_run(const Broadcast& b, const void* const* in, void* y, ThreadPool* pool) {
    Job j = {&b, in, y};
    const BroadcastPlan& p = b.plan;
    const int64_t inner = p.dims[p.rank - 1];
    const int64_t nrows = p.count / inner;
    bool any_unit = false;
    for (int k = 0; k < p.n; ++k) any_unit = any_unit || p.st[k][p.rank - 1] != 0;
    if (nrows == 1 && any_unit) {
        parallel_for(pool, inner, 1 << 13, flat, &j);
        return;
    }
    // rows of at least 8192 elements per chunk, as the flat split: a squeeze-excitation
    // scale over 960 x 7x7 (47K elements) splits (with 16K per chunk it ran on one thread)
    int64_t grain = (1 << 13) / inner;
    if (grain < 1) grain = 1;
    parallel_for(pool, nrows, grain, rows, &j);
}

}  // namespace sdk
