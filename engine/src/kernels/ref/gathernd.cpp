// GatherND (any dtype): every tuple checked, then one memcpy per tuple.
#include <string.h>

#include "kernels/ref/index.h"

namespace sdk {
namespace ref {

int64_t gather_nd_copy(const NdParams& p, const void* x, const void* idx, void* y) {
    const int64_t n = p.batch * p.tuples;
    for (int64_t t = 0; t < n; ++t)
        for (int j = 0; j < p.k; ++j) {
            const int64_t i = load_index(idx, p.idx64, t * p.k + j);
            if (i < -p.dims[j] || i >= p.dims[j]) return t * p.k + j;
        }
    const size_t es = (size_t)p.elem_size, bb = (size_t)p.block * es;
    char* dst = static_cast<char*>(y);
    for (int64_t t = 0; t < n; ++t, dst += bb) {
        int64_t off = (t / p.tuples) * p.batch_stride;
        for (int j = 0; j < p.k; ++j) {
            int64_t i = load_index(idx, p.idx64, t * p.k + j);
            off += (i < 0 ? i + p.dims[j] : i) * p.strides[j];
        }
        memcpy(dst, static_cast<const char*>(x) + off * es, bb);
    }
    return -1;
}

}  // namespace ref
}  // namespace sdk
