// GatherElements (any dtype): an odometer over the indices' shape, one element copied per
// step (one loop for every element size).
#include "kernels/ref/index.h"
#include "kernels/ref/move.h"

namespace sdk {
namespace ref {

int64_t gather_elements_copy(const GatherElementsParams& p, const void* x, const void* idx, void* y) {
    int64_t total = 1;
    for (int k = 0; k < p.rank; ++k) total *= p.dims[k];
    for (int64_t e = 0; e < total; ++e) {
        const int64_t i = load_index(idx, p.idx64, e);
        if (i < -p.axis_dim || i >= p.axis_dim) return e;
    }
    int64_t pos[kMaxRank] = {0, 0, 0, 0, 0, 0};
    int64_t base = 0;  // offset of pos in x without the axis term
    const int r = p.rank, a = p.axis;
    const size_t es = (size_t)p.elem_size;
    const char* src = static_cast<const char*>(x);
    char* dst = static_cast<char*>(y);
    for (int64_t e = 0; e < total; ++e, dst += es) {
        int64_t i = load_index(idx, p.idx64, e);
        if (i < 0) i += p.axis_dim;
        copy_element(dst, src + (base + i * p.x_strides[a]) * (int64_t)es, es);
        for (int k = r - 1; k >= 0; --k) {
            if (k != a) base += p.x_strides[k];
            if (++pos[k] < p.dims[k]) break;
            if (k != a) base -= p.x_strides[k] * p.dims[k];
            pos[k] = 0;
        }
    }
    return -1;
}

}  // namespace ref
}  // namespace sdk
