#include "kernels/ref/relu.h"

namespace sdk {

void relu_s8(const int8_t* x, int8_t* y, int64_t n, const ReluS8Params& p) {
    const int32_t lo = p.out_zero_point < -128 ? -128 : p.out_zero_point;
    if (p.identity) {
        for (int64_t i = 0; i < n; ++i) y[i] = static_cast<int8_t>(x[i] > lo ? x[i] : lo);
        return;
    }
    for (int64_t i = 0; i < n; ++i) {
        // int64: a saturated product (INT32_MIN) plus the zero point would overflow int32
        const int64_t v = (int64_t)multiply_by_quantized_multiplier(x[i] - p.in_zero_point, p.requant) + p.out_zero_point;
        y[i] = static_cast<int8_t>(v < lo ? lo : (v > 127 ? 127 : v));
    }
}

}  // namespace sdk
