// Transpose copy (any dtype): odometer over the output, innermost output dim strided in x.
#include <string.h>

#include "kernels/ref/misc.h"

namespace sdk {
namespace ref {
namespace {

template <typename T>
void copy(const TransposeParams& p, const T* x, T* y) {
    const int r = p.rank;
    const int64_t inner = p.dims[r - 1], is = p.in_strides[r - 1];
    int64_t idx[kMaxRank] = {0, 0, 0, 0, 0, 0};
    int64_t rows = 1;
    for (int i = 0; i < r - 1; ++i) rows *= p.dims[i];
    int64_t off = 0;
    for (int64_t row = 0; row < rows; ++row) {
        const T* src = x + off;
        if (is == 1) {
            memcpy(y, src, (size_t)inner * sizeof(T));
        } else {
            for (int64_t i = 0; i < inner; ++i) y[i] = src[i * is];
        }
        y += inner;
        for (int i = r - 2; i >= 0; --i) {
            off += p.in_strides[i];
            if (++idx[i] < p.dims[i]) break;
            off -= p.in_strides[i] * p.dims[i];
            idx[i] = 0;
        }
    }
}

}  // namespace

void transpose_copy(const TransposeParams& p, const void* x, void* y) {
    switch (p.elem_size) {
        case 4: copy(p, static_cast<const uint32_t*>(x), static_cast<uint32_t*>(y)); break;
        case 2: copy(p, static_cast<const uint16_t*>(x), static_cast<uint16_t*>(y)); break;
        default: copy(p, static_cast<const uint8_t*>(x), static_cast<uint8_t*>(y)); break;
    }
}

}  // namespace ref
}  // namespace sdk
