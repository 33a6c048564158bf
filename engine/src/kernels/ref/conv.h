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
    int32_t kc;           // input channels per K chunk of an im2col conv (== C/group: one chunk)
    int64_t slot_floats;  // per-thread im2col buffer (floats)
    bool depthwise;       // one input channel per group: direct loops (no scratch unless x86_dw)
    bool x86_dw;          // depthwise on the AVX2 kernel (x86/conv_f32.cpp; scratch: a padded plane)
    bool x86_gemm;        // im2col/1x1 on the AVX2 6x16 GEMM (x86/common_f32.cpp; 16-column panels)
    bool x86_stem;        // dense 3x3 stride 2 with <= 4 input channels: the direct AVX2 kernel
    bool x86_grp;         // grouped with few channels per group: the direct AVX2 kernel (scratch: padded planes)
    bool x86_dw512;       // depthwise 3x3 (5x5 stride 1) on the AVX-512 kernel (x86/conv_f32_avx512.cpp; scratch: masks)
    bool x86_pw_plane;    // 1x1 over a small plane on the x86 GEMM: the whole plane one tile
    bool x86_pw_pack;     // x86_pw_plane with many rows and a long K: the plane packed into panels, not read in place
    bool neon_dw;         // depthwise 3x3/5x5 on the NEON kernel (neon/conv_f32.cpp; scratch: a padded plane)
    int32_t wino_rb;      // > 0: Winograd F(4x4,3x3) (conv_f32_wino.cpp) with blocks of this many tile rows
    int32_t wino_ob;      // Winograd: output channels per block
    int32_t wino_mt;      // Winograd: output tile, 4 (F(4x4,3x3)) or 2 (F(2x2,3x3), ARM planes below 13x13)
    bool wino_pk;         // Winograd on NEON: the weights kept from load (wino_u) are in neon_sgemm_pack_a's layout
    const float* wino_u;  // Winograd weights transformed at load (conv_f32_wino_keep), or nullptr: per run
    const float* wpack;   // NEON: the GEMM's weights packed at load (conv_f32_pack), or nullptr
};

// Chooses the strategy and the per-thread scratch size (bytes; request_thread_scratch).
ConvF32Plan conv_f32_plan(const ConvGeom& g);
size_t conv_f32_thread_scratch_bytes(const ConvF32Plan& plan);

#if SDK_FEATURE_NEON && defined(__ARM_NEON)
// NEON: floats of the weights packed for the GEMM tiles (neon_sgemm_pack_a's layout, the
// first ocg / 8 * 8 rows of each group; the rest stay in place), 0 when the plan does not
// use the packed path (depthwise, Winograd, K chunks, fewer than 8 rows per group, NEON off).
int64_t conv_f32_packed_floats(const ConvGeom& g, const ConvF32Plan& plan);
// Packs w into out (conv_f32_packed_floats floats) and points plan.wpack at it.
void conv_f32_pack(const ConvGeom& g, ConvF32Plan& plan, const float* w, float* out);
#endif

// y = act(conv(x, w) + b); b may be nullptr. Thread t's scratch is at
// thread_scratch + current_thread_index() * stride (RunContext::thread_scratch_*).
void conv_f32(const ConvGeom& g, const ConvF32Plan& plan, const float* x, const float* w, const float* b, float* y,
              void* thread_scratch, size_t stride, ThreadPool* pool);

// ---- Winograd F(4x4, 3x3) (ARM: F(2x2, 3x3) on planes below 13x13), kernels/ref/conv_f32_wino.cpp;
// compiled when SDK_FEATURE_WINOGRAD
// (the Meson option `winograd`; on by default, so builds outside Meson keep it)
#ifndef SDK_FEATURE_WINOGRAD
#define SDK_FEATURE_WINOGRAD SDK_FEATURE_FP32
#endif  // (every ISA: its GEMM tile)
// Sets plan.wino_rb/wino_ob and slot_floats when g takes Winograd (dense 3x3, stride 1,
// dilation 1, one group, and the size rule; SDK_CONV_WINO=0 never, =1 wherever it applies).
void conv_f32_wino_plan(const ConvGeom& g, ConvF32Plan& plan);
void conv_f32_wino(const ConvGeom& g, const ConvF32Plan& plan, const float* x, const float* w, const float* b,
                   float* y, void* thread_scratch, size_t stride, ThreadPool* pool);
// Weights transformed once at load (model-lifetime memory shared by the sessions) instead of per
// run: the bytes to allocate for a Winograd plan, 0 where the rule keeps none (ARM F(2x2,3x3):
// planes below 13x13, where the per-run transform is ~a third of the layer; docs/winograd.md),
// or for any Winograd plan with `all` (tests). conv_f32_wino_keep fills u (that many bytes) from
// the OIHW weights w, points plan.wino_u at it and drops the per-run transform's scratch; the
// output is bit-identical to the per-run path (the same transform code, the same values).
size_t conv_f32_wino_keep_bytes(const ConvGeom& g, const ConvF32Plan& plan, bool all);
void conv_f32_wino_keep(const ConvGeom& g, ConvF32Plan& plan, const float* w, float* u);
// Test hook for planning: 1 Winograd wherever it applies, 0 never, -1 the rule; ARM: 2 as 1 with
// F(2x2, 3x3) on every plane, 3 as 1 with F(4x4, 3x3) on every plane (elsewhere both as 1).
void conv_f32_set_wino(int on);

#if SDK_FEATURE_X86  // ---- AVX2 + FMA kernels, kernels/x86/conv_f32.cpp (chosen at run time)
// Floats of per-thread scratch the AVX2 depthwise kernel needs for g; 0 = not applicable.
int64_t x86_dw_scratch_floats(const ConvGeom& g);
// Output planes [begin, end) (plane t = image t / OC, channel t % OC) of a depthwise conv,
// bias and activation included; scratch: x86_dw_scratch_floats(g) floats.
void x86_dw_range_avx2(const ConvGeom& g, const float* x, const float* w, const float* b, float* y, int64_t begin,
                       int64_t end, float* scratch);
// Dense 3x3, stride 2, dilation 1 conv with at most 4 input channels (a stem): direct,
// 8 output channels x 8 columns per register block, no im2col. Tasks [begin, end): output
// row t % OH of channel block t / OH % ceil(OC / 8) of image t / OH / ceil(OC / 8);
// scratch: x86_stem_scratch_floats(g) floats.
bool x86_stem_fits(const ConvGeom& g);
int64_t x86_stem_scratch_floats(const ConvGeom& g);
void x86_stem_rows_avx2(const ConvGeom& g, const float* x, const float* w, const float* b, float* y, int64_t begin,
                        int64_t end, float* scratch);

// Grouped conv with few channels per group (at most kX86GrpMaxC in, kX86GrpMaxOC out; stride
// 1 or 2 along W): direct, no im2col. Tasks [begin, end): group t % group of image t / group,
// bias and activation included; scratch: x86_grp_scratch_floats(g) floats.
constexpr int kX86GrpMaxC = 32;
constexpr int kX86GrpMaxOC = 32;
bool x86_grp_fits(const ConvGeom& g);
int64_t x86_grp_scratch_floats(const ConvGeom& g);
void x86_grp_range_avx2(const ConvGeom& g, const float* x, const float* w, const float* b, float* y, int64_t begin,
                        int64_t end, float* scratch);

// ---- AVX-512 kernels, kernels/x86/conv_f32_avx512.cpp (x86_64; x86_f32_avx512_enabled())
#if defined(__x86_64__)
// Depthwise 3x3 (stride 1 pads 1: the flat-plane kernel; stride 2) and 5x5 stride 1 pads 2 (flat plane) the AVX-512 kernel takes.
bool x86_dw512_fits(const ConvGeom& g);
int64_t x86_dw512_scratch_floats(const ConvGeom& g);
// Same contract as x86_dw_range_avx2; scratch: x86_dw512_scratch_floats(g) floats.
void x86_dw_range_avx512(const ConvGeom& g, const float* x, const float* w, const float* b, float* y,
                         int64_t begin, int64_t end, float* scratch);
// A stem of at most 4 input channels, 3x3, 5x5 or 7x7 (up to 7 kernel rows), stride 2, any
// padding (the 3x3 ones x86_stem_fits takes, and ResNet's 7x7): 16 output channels x 16
// columns per register block. Tasks [begin, end): output row t % OH of channel block
// t / OH % ceil(OC / 16) of image t / OH / ceil(OC / 16); no scratch.
bool x86_stem512_fits(const ConvGeom& g);
void x86_stem_rows_avx512(const ConvGeom& g, const float* x, const float* w, const float* b, float* y, int64_t begin,
                          int64_t end);
#endif
#endif

#if SDK_FEATURE_NEON && defined(__ARM_NEON)  // ---- NEON kernels, kernels/neon/conv_f32.cpp
// (the fp32 NEON tier: chosen at run time with neon_sgemm_enabled(), kernels/ref/sgemm_f32.h)
// Depthwise 3x3 or 5x5, dilation 1, stride 1 or 2 (the same both ways), any padding.
bool neon_dw_fits(const ConvGeom& g);
int64_t neon_dw_scratch_floats(const ConvGeom& g);
// Same contract as x86_dw_range_avx2; scratch: neon_dw_scratch_floats(g) floats.
void neon_dw_range(const ConvGeom& g, const float* x, const float* w, const float* b, float* y, int64_t begin,
                      int64_t end, float* scratch);
#endif

}  // namespace ref
}  // namespace sdk
