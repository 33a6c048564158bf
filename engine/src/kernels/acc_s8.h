// Load-time range check of the int32 accumulators of int8 Conv and Gemm (header-only).
//
// An output channel accumulates  acc = bias + sum_k w[k] * (x[k] - x_zp)  with x in
// [-128, 127]. The kernels reach it by different routes, all in int32: the zero point
// folded into the bias at load (bias - x_zp * sum w), x + 128 with the fold -128 * sum w
// for VNNI, partial sums from the first tap on or per SIMD lane with the bias added last.
// Every such intermediate is  bias + sum over some taps of w * (x - x_zp) - sum over the
// other taps of w * c  with |x - x_zp| <= 255 and |c| <= 256, so all of them (and the
// result) fit int32 when
//
//     |bias| + 256 * sum_k |w[k]| <= INT32_MAX                       (per channel)
//
// A file whose bias breaks this is refused here: its outputs cannot be computed in int32
// (a release build would wrap and return wrong values). sdkbuild's quantizer clamps the
// bias it writes to this range (convert/quantize.py, bias_limit), so a converted model is
// never refused. Weights of -128 are legal int8 (the quantizer writes [-127, 127]), but the
// NEON GEMM adds pairs of products in int16, which -128 * -128 * 2 overflows: a node with
// such a weight takes the portable GEMM there (kernel_for_weights), as the NEON depthwise
// kernel already declines it.
#pragma once

#include <stdint.h>

#include "core/op.h"
#include "kernels/gemm_s8.h"

namespace sdk {
namespace s8 {

// sum |w[i]| over n <= 2^24 int8 values (no uint32 overflow); ORs every |w[i]| into *all,
// whose bit 7 is then set when some w[i] is -128 (the one value with |v| = 128). Once per
// weight at load, it was most of an int8 model's load (int64 sums at -Os, 8-16 instructions
// a weight on ARM): a loop the compiler vectorizes, optimized for speed in any build.
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((noinline, optimize("O3")))
#else
__attribute__((noinline))
#endif
inline uint32_t abs_sum_s8(const int8_t* w, int32_t n, uint32_t* all) {
    uint32_t s = 0, a = 0;
    for (int32_t i = 0; i < n; ++i) {
        const uint32_t v = static_cast<uint32_t>(w[i] < 0 ? -w[i] : w[i]);
        s += v;
        a |= v;
    }
    *all |= a;
    return s;
}

// w: [channels][k] int8 weights (the file's constant); bias: [channels] int32 or nullptr.
// *minus_128: whether some weight is -128.
inline sdk_status check_accumulators(PrepareContext& ctx, const Tensor* wt, const int8_t* w, const int32_t* bias,
                                     int32_t channels, int64_t k, bool* minus_128) {
    uint32_t all = 0;
    for (int32_t c = 0; c < channels; ++c) {
        int64_t s = 0;
        for (int64_t i = 0; i < k; i += 1 << 24)
            s += abs_sum_s8(w + (int64_t)c * k + i, static_cast<int32_t>(k - i < (1 << 24) ? k - i : 1 << 24), &all);
        const int64_t b = bias ? bias[c] : 0;
        if ((b < 0 ? -b : b) + 256 * s > INT32_MAX)
            return ctx.fail(SDK_ERR_BAD_MODEL,
                            "bias %lld of output channel %d cannot be added to the int32 accumulator of weights "
                            "'%s' without overflow (|bias| + 256 * sum |w| = %lld > 2^31 - 1); quantize the model "
                            "again with sdkbuild",
                            (long long)b, c, wt->name, (long long)((b < 0 ? -b : b) + 256 * s));
    }
    *minus_128 = (all & 128) != 0;
    return SDK_OK;
}

// The GEMM kernel for weights with (minus_128) or without a -128. On NEON every SIMD kernel
// declines them: the SDOT kernel hands its row tail to the int16-pair kernel.
inline GemmKernel kernel_for_weights(GemmKernel k, bool minus_128) {
#if SDK_FEATURE_NEON
    if (minus_128) return gemm_ref;
#endif
    (void)minus_128;
    return k;
}

}  // namespace s8
}  // namespace sdk
