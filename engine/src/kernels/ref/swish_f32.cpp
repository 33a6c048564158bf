#include "kernels/ref/act_f32.h"
#include "kernels/ref/unary.h"

namespace sdk {
namespace ref {

void silu_f32(const float* x, float* y, int64_t n) {  // Swish with alpha 1
    for (int64_t i = 0; i < n; ++i) y[i] = silu_f32(x[i]);
}

}  // namespace ref
}  // namespace sdk
