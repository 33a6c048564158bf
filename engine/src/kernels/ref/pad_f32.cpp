// Reference fp32 Pad: per output row (innermost dim), map the outer coordinates to an
// input row (or a constant row), then fill begin / copy middle / fill end.
#include <string.h>

#include "kernels/ref/misc.h"

namespace sdk {
namespace ref {
namespace {

// Input coordinate of output coordinate o along a dim, or -1 for the constant value.
inline int64_t src_coord(int64_t o, int32_t begin, int32_t in, int32_t mode) {
    int64_t i = o - begin;
    if (i >= 0 && i < in) return i;
    if (mode == kPadConstant) return -1;
    if (mode == kPadEdge) return i < 0 ? 0 : in - 1;
    // reflect (edge excluded); prepare() guarantees pads < in, so one bounce suffices
    if (in == 1) return 0;
    return i < 0 ? -i : 2 * (int64_t)(in - 1) - i;
}

}  // namespace

void pad_f32(const PadParams& p, const float* x, float* y) {
    const int r = p.rank;
    const int32_t ow = p.out_dims[r - 1], iw = p.in_dims[r - 1], b = p.begin[r - 1];
    int64_t in_strides[kMaxRank];
    int64_t s = 1;
    for (int i = r - 1; i >= 0; --i) {
        in_strides[i] = s;
        s *= p.in_dims[i];
    }
    int64_t rows = 1;
    for (int i = 0; i < r - 1; ++i) rows *= p.out_dims[i];
    int64_t idx[kMaxRank] = {0, 0, 0, 0, 0, 0};
    for (int64_t row = 0; row < rows; ++row, y += ow) {
        int64_t off = 0;
        bool constant = false;
        for (int i = 0; i < r - 1; ++i) {
            int64_t c = src_coord(idx[i], p.begin[i], p.in_dims[i], p.mode);
            if (c < 0) {
                constant = true;
                break;
            }
            off += c * in_strides[i];
        }
        if (constant) {
            for (int32_t k = 0; k < ow; ++k) y[k] = p.value;
        } else {
            const float* src = x + off;
            for (int32_t k = 0; k < ow; ++k) {
                if (k == b && iw > 0) {  // the copied middle
                    memcpy(y + k, src, (size_t)iw * sizeof(float));
                    k += iw - 1;
                    continue;
                }
                int64_t c = src_coord(k, b, iw, p.mode);
                y[k] = c < 0 ? p.value : src[c];
            }
        }
        for (int i = r - 2; i >= 0; --i) {
            if (++idx[i] < p.out_dims[i]) break;
            idx[i] = 0;
        }
    }
}

}  // namespace ref
}  // namespace sdk
