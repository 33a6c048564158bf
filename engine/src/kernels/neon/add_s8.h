// NEON int8 Add (same-shape inputs; ARMv7 and AArch64), bit-exact with kernels/ref/add_s8.cpp's
// loop: each input moved to the common scale by s8::mbqm((q - zp) << left_shift) on 32-bit
// lanes (SHL + SQDMULH + SRSHL) instead of the 256-entry tables the scalar loop reads, then the
// output requantization (neon_requant4). Chosen with the NEON int8 tier when both input
// multipliers' shifts are <= 1 (always: they are <= 1/2).
#pragma once

#include <stdint.h>

#if SDK_FEATURE_NEON && defined(__ARM_NEON)

namespace sdk {
namespace s8 {

struct AddNeon {
    int32_t a_zp, b_zp, out_zp, act_min, act_max, left_shift;
    int32_t ma_mult, ma_shift, mb_mult, mb_shift, mo_mult, mo_shift;
};

// y[i] for i in [0, n); returns how many it did (a multiple of 8): the caller finishes the tail.
int64_t add_s8_neon(const AddNeon& p, const int8_t* a, const int8_t* b, int8_t* y, int64_t n);

}  // namespace s8
}  // namespace sdk

#endif
