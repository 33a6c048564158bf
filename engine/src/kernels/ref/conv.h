// Reference fp32 2-D convolution (NCHW input, OIHW weights).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/op.h"
#include "kernels/ref/act_f32.h"

namespace sdk {

// Geometry shared by every dtype's conv kernel; filled and checked by ops/conv.cpp.
struct ConvGeom {
    int32_t N, C, H, W;     // input
    int32_t OC, OH, OW;     // output
    int32_t KH, KW;         // kernel
    int32_t sh, sw, dh, dw; // strides, dilations
    int32_t pt, pl, pb, pr; // pads
    int32_t group;
    ref::ActParams act;
};

namespace ref {

struct ConvF32Plan {
    int32_t tile;         // output pixels per im2col tile (a multiple of the GEMM panel width)
    int64_t slot_floats;  // per-thread im2col buffer (floats)
    bool depthwise;       // one input channel per group: direct loops, no scratch
};

// Chooses the strategy and the per-thread scratch size (bytes; request_thread_scratch).
ConvF32Plan conv_f32_plan(const ConvGeom& g);
size_t conv_f32_thread_scratch_bytes(const ConvF32Plan& plan);

// y = act(conv(x, w) + b); b may be nullptr. Thread t's scratch is at
// thread_scratch + current_thread_index() * stride (RunContext::thread_scratch_*).
void conv_f32(const ConvGeom& g, const ConvF32Plan& plan, const float* x, const float* w, const float* b, float* y,
              void* thread_scratch, size_t stride, ThreadPool* pool);

}  // namespace ref
}  // namespace sdk
