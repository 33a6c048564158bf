// Trilu (any dtype): per row, the kept columns copied (unless in place), the others set to
// the zero element.
#include <string.h>

#include "kernels/ref/index.h"

namespace sdk {
namespace ref {

void trilu_copy(const TriluParams& p, const void* x, void* y) {
    const size_t es = (size_t)p.elem_size, row = (size_t)p.cols * es;
    const char* src = static_cast<const char*>(x);
    char* dst = static_cast<char*>(y);
    for (int64_t b = 0; b < p.batch; ++b)
        for (int64_t i = 0; i < p.rows; ++i, src += row, dst += row) {
            if (dst != src) memcpy(dst, src, row);
            // zeroed columns: [0, i + k) when upper, [i + k + 1, cols) when lower
            int64_t lo = 0, hi = p.cols;
            if (p.upper) hi = i + p.k;
            else lo = i + p.k + 1;
            lo = lo < 0 ? 0 : (lo > p.cols ? p.cols : lo);
            hi = hi < 0 ? 0 : (hi > p.cols ? p.cols : hi);
            for (int64_t j = lo; j < hi; ++j) memcpy(dst + j * es, &p.zero, es);
        }
}

}  // namespace ref
}  // namespace sdk
