// CumSum: running sums along the axis, over blocks of neighbouring lanes (contiguous
// loads); exclusive shifts by one, reverse runs from the end.
#include "kernels/ref/scan.h"

namespace sdk {
namespace ref {
namespace {

template <typename T>
void run(const CumSumParams& p, const T* x, T* y) {
    T acc[64];
    for (int64_t o = 0; o < p.outer; ++o)
        for (int64_t i0 = 0; i0 < p.inner; i0 += 64) {
            const int64_t w = p.inner - i0 < 64 ? p.inner - i0 : 64;
            for (int64_t i = 0; i < w; ++i) acc[i] = 0;
            for (int64_t s = 0; s < p.n; ++s) {
                const int64_t k = p.reverse ? p.n - 1 - s : s;
                const T* xk = x + (o * p.n + k) * p.inner + i0;
                T* yk = y + (o * p.n + k) * p.inner + i0;
                for (int64_t i = 0; i < w; ++i) {
                    const T v = xk[i];
                    if (p.exclusive) {
                        yk[i] = acc[i];
                        acc[i] += v;
                    } else {
                        acc[i] += v;
                        yk[i] = acc[i];
                    }
                }
            }
        }
}

}  // namespace

void cumsum(const CumSumParams& p, const void* x, void* y) {
    switch (p.dtype) {
#if SDK_FEATURE_FP32
        case DType::F32: run(p, static_cast<const float*>(x), static_cast<float*>(y)); break;
#endif
        case DType::I32: run(p, static_cast<const int32_t*>(x), static_cast<int32_t*>(y)); break;
        default: run(p, static_cast<const int64_t*>(x), static_cast<int64_t*>(y)); break;
    }
}

}  // namespace ref
}  // namespace sdk
