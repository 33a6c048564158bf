// Gather (any dtype): every index checked, then one memcpy per (outer step, index).
#include <string.h>

#include "kernels/ref/index.h"

namespace sdk {
namespace ref {

int64_t gather_copy(const GatherParams& p, const void* x, const void* idx, void* y) {
    for (int64_t j = 0; j < p.n_idx; ++j) {
        const int64_t i = load_index(idx, p.idx64, j);
        if (i < -p.axis_dim || i >= p.axis_dim) return j;
    }
    const char* src = static_cast<const char*>(x);
    char* dst = static_cast<char*>(y);
    const size_t bb = (size_t)p.block_bytes;
    for (int64_t o = 0; o < p.outer; ++o) {
        const char* base = src + o * p.axis_dim * p.block_bytes;
        for (int64_t j = 0; j < p.n_idx; ++j, dst += bb) {
            int64_t i = load_index(idx, p.idx64, j);
            if (i < 0) i += p.axis_dim;
            memcpy(dst, base + i * p.block_bytes, bb);
        }
    }
    return -1;
}

}  // namespace ref
}  // namespace sdk
