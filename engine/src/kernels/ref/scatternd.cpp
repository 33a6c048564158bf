// ScatterND: the updates written (or combined, in index order) into the output, which
// already holds a copy of the data. Reductions are typed (f32, i32, i64); plain
// scattering moves bytes of any dtype.
#include <string.h>

#include "kernels/ref/index.h"

namespace sdk {
namespace ref {
namespace {

template <typename T>
void combine(T* y, const T* u, int64_t n, int32_t red) {
    switch (red) {
        case kScatterAdd: for (int64_t i = 0; i < n; ++i) y[i] += u[i]; break;
        case kScatterMul: for (int64_t i = 0; i < n; ++i) y[i] *= u[i]; break;
        case kScatterMax: for (int64_t i = 0; i < n; ++i) y[i] = u[i] > y[i] ? u[i] : y[i]; break;
        default: for (int64_t i = 0; i < n; ++i) y[i] = u[i] < y[i] ? u[i] : y[i]; break;
    }
}

}  // namespace

int64_t scatter_nd(const NdParams& p, int32_t reduction, DType dtype, const void* idx, const void* updates, void* y) {
    const int64_t n = p.tuples;
    for (int64_t t = 0; t < n; ++t)
        for (int j = 0; j < p.k; ++j) {
            const int64_t i = load_index(idx, p.idx64, t * p.k + j);
            if (i < -p.dims[j] || i >= p.dims[j]) return t * p.k + j;
        }
    const size_t es = (size_t)p.elem_size, bb = (size_t)p.block * es;
    const char* src = static_cast<const char*>(updates);
    for (int64_t t = 0; t < n; ++t, src += bb) {
        int64_t off = 0;
        for (int j = 0; j < p.k; ++j) {
            int64_t i = load_index(idx, p.idx64, t * p.k + j);
            off += (i < 0 ? i + p.dims[j] : i) * p.strides[j];
        }
        char* dst = static_cast<char*>(y) + off * es;
        if (reduction == kScatterNone) memcpy(dst, src, bb);
        else if (dtype == DType::F32) combine((float*)dst, (const float*)src, p.block, reduction);
        else if (dtype == DType::I32) combine((int32_t*)dst, (const int32_t*)src, p.block, reduction);
        else combine((int64_t*)dst, (const int64_t*)src, p.block, reduction);
    }
    return -1;
}

}  // namespace ref
}  // namespace sdk
