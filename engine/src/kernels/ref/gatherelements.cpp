// GatherElements (any dtype): an odometer over the indices' shape.
#include "kernels/ref/index.h"

namespace sdk {
namespace ref {
namespace {

template <typename T>
int64_t run(const GatherElementsParams& p, const T* x, const void* idx, T* y) {
    int64_t total = 1;
    for (int k = 0; k < p.rank; ++k) total *= p.dims[k];
    for (int64_t e = 0; e < total; ++e) {
        const int64_t i = load_index(idx, p.idx64, e);
        if (i < -p.axis_dim || i >= p.axis_dim) return e;
    }
    int64_t pos[kMaxRank] = {0, 0, 0, 0, 0, 0};
    int64_t base = 0;  // offset of pos in x without the axis term
    const int r = p.rank, a = p.axis;
    for (int64_t e = 0; e < total; ++e) {
        int64_t i = load_index(idx, p.idx64, e);
        if (i < 0) i += p.axis_dim;
        y[e] = x[base + i * p.x_strides[a]];
        for (int k = r - 1; k >= 0; --k) {
            if (k != a) base += p.x_strides[k];
            if (++pos[k] < p.dims[k]) break;
            if (k != a) base -= p.x_strides[k] * p.dims[k];
            pos[k] = 0;
        }
    }
    return -1;
}

}  // namespace

int64_t gather_elements_copy(const GatherElementsParams& p, const void* x, const void* idx, void* y) {
    switch (p.elem_size) {
        case 8: return run(p, static_cast<const uint64_t*>(x), idx, static_cast<uint64_t*>(y));
        case 4: return run(p, static_cast<const uint32_t*>(x), idx, static_cast<uint32_t*>(y));
        case 2: return run(p, static_cast<const uint16_t*>(x), idx, static_cast<uint16_t*>(y));
        default: return run(p, static_cast<const uint8_t*>(x), idx, static_cast<uint8_t*>(y));
    }
}

}  // namespace ref
}  // namespace sdk
