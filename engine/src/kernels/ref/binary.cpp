// dtype-independent part of the binary kernels: the broadcast plan.
#include "kernels/ref/binary.h"

namespace sdk {

bool broadcast_plan(const Shape& a, const Shape& b, Shape* out, BroadcastPlan* p) {
    int r = a.rank > b.rank ? a.rank : b.rank;
    int64_t da[kMaxRank], db[kMaxRank], d[kMaxRank];
    out->rank = r;
    for (int i = 0; i < r; ++i) {
        int ia = i - (r - a.rank), ib = i - (r - b.rank);
        da[i] = ia >= 0 ? a.dims[ia] : 1;
        db[i] = ib >= 0 ? b.dims[ib] : 1;
        if (da[i] != db[i] && da[i] != 1 && db[i] != 1) return false;
        d[i] = da[i] > db[i] ? da[i] : db[i];
        out->dims[i] = (int32_t)d[i];
    }
    // contiguous strides of each input in the output's index space, 0 where broadcast
    int64_t sa[kMaxRank], sb[kMaxRank], ca = 1, cb = 1;
    for (int i = r - 1; i >= 0; --i) {
        sa[i] = da[i] == 1 ? 0 : ca;
        sb[i] = db[i] == 1 ? 0 : cb;
        ca *= da[i];
        cb *= db[i];
    }
    // drop size-1 dims, merge a dim into the next inner one when both inputs allow it
    int n = 0;
    p->count = 1;
    for (int i = 0; i < r; ++i) {
        p->count *= d[i];
        if (d[i] == 1) continue;
        if (n > 0 && p->sa[n - 1] == sa[i] * d[i] && p->sb[n - 1] == sb[i] * d[i]) {
            p->dims[n - 1] *= d[i];
            p->sa[n - 1] = sa[i];
            p->sb[n - 1] = sb[i];
            continue;
        }
        p->dims[n] = d[i];
        p->sa[n] = sa[i];
        p->sb[n] = sb[i];
        ++n;
    }
    if (n == 0) {
        p->dims[0] = 1;
        p->sa[0] = p->sb[0] = 0;
        n = 1;
    }
    p->rank = n;
    return true;
}

}  // namespace sdk
