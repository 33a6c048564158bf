// Broadcasting element-wise kernels (kernel group "binary", shared by every op with
// numpy-broadcast inputs: Add, Sub, Mul, Div, Pow, Min, Max, PRelu, the comparisons,
// And/Or/Xor, Where). The walker (kernels/ref/binary.cpp) is dtype-independent: it splits
// the output into rows of the innermost merged dimension and hands each row to the op's
// row kernel with, per input, a pointer and an inner stride of 0 (one element repeated)
// or 1 (contiguous). Row kernels are plain loops per op and dtype (binary_row below).
#pragma once

#include <stdint.h>

#include "core/op.h"

namespace sdk {

constexpr int kMaxBroadcastInputs = 3;

// Broadcast layout computed at load: dims of the output after dropping 1s and merging
// dimensions that are contiguous in every input; per input, element strides (0 where
// broadcast). The innermost stride of each input is then 0 or 1.
struct BroadcastPlan {
    int32_t rank;  // >= 1
    int32_t n;     // inputs, 1..kMaxBroadcastInputs
    int64_t dims[kMaxRank];
    int64_t st[kMaxBroadcastInputs][kMaxRank];
    int64_t count;  // output elements
};

// Fills `p` from the n input shapes; false when they do not broadcast. `out` = the
// broadcast output shape (rank = max of the ranks).
bool broadcast_plan(const Shape* const* in, int n, Shape* out, BroadcastPlan* p);

inline bool broadcast_plan(const Shape& a, const Shape& b, Shape* out, BroadcastPlan* p) {
    const Shape* in[2] = {&a, &b};
    return broadcast_plan(in, 2, out, p);
}

// One output row: y[i] = f(in_0[i * unit[0]], in_1[i * unit[1]], ...) for i in [0, n).
// unit[k] is 0 or 1. `params` is the op's own (read-only) parameter block.
typedef void (*RowFn)(const void* const* in, const uint8_t* unit, void* y, int64_t n, const void* params);

struct Broadcast {
    BroadcastPlan plan;
    RowFn fn;
    const void* params;
    uint8_t esize[kMaxBroadcastInputs + 1];  // element bytes of each input, then of the output
};

// Runs b.fn over the whole output, split over the pool's threads.
void broadcast_run(const Broadcast& b, const void* const* in, void* y, ThreadPool* pool);

#if SDK_FEATURE_FP32 && SDK_FEATURE_NEON && defined(__ARM_NEON)  // ---- kernels/neon/binary_f32.cpp
namespace ref {
struct ActParams;
}  // namespace ref
// One fp32 Add (mul = false; then act, may be nullptr) or Mul (act nullptr) row on NEON,
// with binary_row's contract; false (nothing done) while the fp32 NEON tier is off.
bool neon_binary_row_f32(bool mul, const void* const* in, const uint8_t* unit, float* y, int64_t n,
                         const ref::ActParams* act);
// fp32 Mul of rows by one value each (a squeeze-excitation scale): y[r * inner + i] =
// s[r] * x[r * inner + i] (s_first) or x[...] * s[r], for r < rows; y may be x. The NEON row's
// bits; the caller checks ref::neon_sgemm_enabled().
void neon_scale_rows_f32(const float* s, const float* x, float* y, int64_t inner, int64_t rows, bool s_first);
#endif

// The usual row kernel: y = F(a, b) with typed operands and result; contiguous loops per
// case, which compilers vectorize (the hot f32 arithmetic).
template <class T, class R, R (*F)(T, T)>
void binary_row(const void* const* in, const uint8_t* unit, void* out, int64_t n, const void* params) {
    (void)params;
    const T* a = static_cast<const T*>(in[0]);
    const T* b = static_cast<const T*>(in[1]);
    R* y = static_cast<R*>(out);
    if (unit[0] && unit[1]) {
        for (int64_t i = 0; i < n; ++i) y[i] = F(a[i], b[i]);
    } else if (unit[0]) {
        const T bv = b[0];
        for (int64_t i = 0; i < n; ++i) y[i] = F(a[i], bv);
    } else {
        const T av = a[0];
        for (int64_t i = 0; i < n; ++i) y[i] = F(av, b[i]);
    }
}

#if SDK_FEATURE_X86 && (defined(__x86_64__) || defined(__i386__))
namespace ref {
struct ActParams;
}
namespace x86 {
// fp32 Add (mul false; act: its fused activation or nullptr) and Mul rows on 8 lanes
// (kernels/x86/binary_f32.cpp), for the walker's unit flags as binary_row takes them; the
// caller checks ref::x86_sgemm_avx2_enabled() first.
void binary_row_f32_avx2(bool mul, const void* const* in, const uint8_t* unit, void* out, int64_t n,
                         const ref::ActParams* act);
}  // namespace x86
#endif

// The compact row kernel (one loop, operands stepped by their unit stride): for the cold
// integer, bool and comparison rows, a third of binary_row's code.
template <class T, class R, R (*F)(T, T)>
void binary_row_small(const void* const* in, const uint8_t* unit, void* out, int64_t n, const void* params) {
    (void)params;
    const T* a = static_cast<const T*>(in[0]);
    const T* b = static_cast<const T*>(in[1]);
    R* y = static_cast<R*>(out);
    const int64_t ua = unit[0], ub = unit[1];
    for (int64_t i = 0; i < n; ++i, a += ua, b += ub) y[i] = F(*a, *b);
}

}  // namespace sdk
