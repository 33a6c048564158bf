#include "kernels/ref/act_f32.h"
#include "kernels/ref/unary.h"

namespace sdk {
namespace ref {

void sigmoid_f32(const float* x, float* y, int64_t n) {
    sigmoid_span_f32(x, y, n, false);  // 4 lanes at a time (act_f32.h)
}

}  // namespace ref
}  // namespace sdk
