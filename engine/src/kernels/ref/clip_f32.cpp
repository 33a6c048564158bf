#include "kernels/ref/act_f32.h"
#include "kernels/ref/unary.h"

namespace sdk {
namespace ref {

void clip_f32(const float* x, float* y, int64_t n, float lo, float hi) {
    for (int64_t i = 0; i < n; ++i) y[i] = clip_f32(x[i], lo, hi);
}

}  // namespace ref
}  // namespace sdk
