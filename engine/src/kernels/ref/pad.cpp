// Pad (any element size): per output row (innermost dim), map the outer coordinates to an
// input row of the window (or the constant), then fill the front / copy the middle / fill
// the back.
#include <string.h>

#include "kernels/ref/move.h"

namespace sdk {
namespace ref {
namespace {

// Window coordinate of output coordinate o along a dim, or -1 for the constant value.
inline int64_t src_coord(int64_t o, int64_t begin, int64_t n, int32_t mode) {
    int64_t i = o - begin;
    if (i >= 0 && i < n) return i;
    switch (mode) {
        case kPadEdge: return i < 0 ? 0 : n - 1;
        case kPadWrap: return ((i % n) + n) % n;
        case kPadReflect: {  // edge excluded, bouncing as often as the pads need (numpy's reflect)
            if (n == 1) return 0;
            const int64_t period = 2 * (n - 1);
            int64_t m = ((i % period) + period) % period;
            return m < n ? m : period - m;
        }
        default: return -1;
    }
}

template <typename T>
void pad(const PadParams& p, const T* x, T* y) {
    const int r = p.rank;
    const int64_t ow = p.out_dims[r - 1], iw = p.in_dims[r - 1], b = p.begin[r - 1];
    T value;
    memcpy(&value, &p.value, sizeof(T));
    int64_t rows = 1;
    for (int i = 0; i < r - 1; ++i) rows *= p.out_dims[i];
    int64_t idx[kMaxRank] = {0, 0, 0, 0, 0, 0};
    for (int64_t row = 0; row < rows; ++row, y += ow) {
        int64_t off = p.offset;
        bool constant = false;
        for (int i = 0; i < r - 1 && !constant; ++i) {
            const int64_t c = src_coord(idx[i], p.begin[i], p.in_dims[i], p.mode);
            constant = c < 0;
            off += c * p.in_strides[i];
        }
        if (constant) {
            for (int64_t k = 0; k < ow; ++k) y[k] = value;
        } else {
            const T* src = x + off;
            const int64_t is = p.in_strides[r - 1];
            const int64_t mid_end = b + iw < ow ? b + iw : ow;
            for (int64_t k = 0; k < ow; ++k) {
                if (k == b && is == 1) {  // the copied middle
                    memcpy(y + k, src, (size_t)(mid_end - b) * sizeof(T));
                    k = mid_end - 1;
                    continue;
                }
                const int64_t c = src_coord(k, b, iw, p.mode);
                y[k] = c < 0 ? value : src[c * is];
            }
        }
        for (int i = r - 2; i >= 0; --i) {
            if (++idx[i] < p.out_dims[i]) break;
            idx[i] = 0;
        }
    }
}

}  // namespace

void pad_copy(const PadParams& p, const void* x, void* y) {
    switch (p.elem_size) {
        case 8: pad(p, static_cast<const uint64_t*>(x), static_cast<uint64_t*>(y)); break;
        case 4: pad(p, static_cast<const uint32_t*>(x), static_cast<uint32_t*>(y)); break;
        case 2: pad(p, static_cast<const uint16_t*>(x), static_cast<uint16_t*>(y)); break;
        default: pad(p, static_cast<const uint8_t*>(x), static_cast<uint8_t*>(y)); break;
    }
}

}  // namespace ref
}  // namespace sdk
