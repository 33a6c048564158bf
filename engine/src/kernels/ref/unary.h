// Reference fp32 elementwise unary kernels (Clip, Sigmoid, HardSwish). x and y may be
// the same buffer (the ops are kOpInplace). Each is defined in kernels/ref/<op>_f32.cpp.
#pragma once

#include <stdint.h>

namespace sdk {
namespace ref {

void clip_f32(const float* x, float* y, int64_t n, float lo, float hi);
void sigmoid_f32(const float* x, float* y, int64_t n);
void hardswish_f32(const float* x, float* y, int64_t n);

}  // namespace ref
}  // namespace sdk
