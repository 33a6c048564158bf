// Pad (any element size, one loop for all): per output row (innermost dim), map the outer
// coordinates to an input row of the window (or the constant), then fill the front / copy
// the middle / fill the back.
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

}  // namespace

void pad_copy(const PadParams& p, const void* x, void* y) {
    const int r = p.rank;
    const size_t es = (size_t)p.elem_size;
    const int64_t ow = p.out_dims[r - 1], iw = p.in_dims[r - 1], b = p.begin[r - 1];
    const char* value = reinterpret_cast<const char*>(&p.value);
    int64_t rows = 1;
    for (int i = 0; i < r - 1; ++i) rows *= p.out_dims[i];
    int64_t idx[kMaxRank] = {0, 0, 0, 0, 0, 0};
    char* dst = static_cast<char*>(y);
    for (int64_t row = 0; row < rows; ++row, dst += ow * es) {
        int64_t off = p.offset;
        bool constant = false;
        for (int i = 0; i < r - 1 && !constant; ++i) {
            const int64_t c = src_coord(idx[i], p.begin[i], p.in_dims[i], p.mode);
            constant = c < 0;
            off += c * p.in_strides[i];
        }
        const char* src = static_cast<const char*>(x) + off * (int64_t)es;
        for (int64_t k = 0; k < ow; ++k) {
            if (!constant && k == b) {  // the copied middle
                const int64_t n = b + iw < ow ? iw : ow - b;
                memcpy(dst + k * es, src, (size_t)n * es);
                k += n - 1;
                continue;
            }
            const int64_t c = constant ? -1 : src_coord(k, b, iw, p.mode);
            copy_element(dst + k * es, c < 0 ? value : src + c * (int64_t)es, es);
        }
        for (int i = r - 2; i >= 0; --i) {
            if (++idx[i] < p.out_dims[i]) break;
            idx[i] = 0;
        }
    }
}

}  // namespace ref
}  // namespace sdk
