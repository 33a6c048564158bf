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

// Scratch layout of the im2col path: `slots` independent buffers of `slot_floats`.
struct ConvF32Plan {
    int32_t tile;         // output pixels per im2col tile (a multiple of the GEMM panel width)
    int32_t slots;        // at most this many threads work on one conv at a time
    int64_t slot_floats;  // floats per slot
    bool depthwise;       // one input channel per group: direct loops, no scratch
};

// Chooses the strategy and scratch size (bytes) for `g`.
ConvF32Plan conv_f32_plan(const ConvGeom& g);
size_t conv_f32_scratch_bytes(const ConvF32Plan& plan);

// y = act(conv(x, w) + b); b may be nullptr. scratch: conv_f32_scratch_bytes(plan) bytes.
void conv_f32(const ConvGeom& g, const ConvF32Plan& plan, const float* x, const float* w, const float* b, float* y,
              float* scratch, ThreadPool* pool);

}  // namespace ref
}  // namespace sdk
