// AVX2 int8 Add (same-shape inputs), bit-exact with kernels/ref/add_s8.cpp's loop; called
// only after s8::cpu_has_avx2().
#pragma once

#include <stdint.h>

#if SDK_FEATURE_X86

namespace sdk {
namespace s8 {

struct AddParams {
    int32_t a_zp, b_zp, out_zp, act_min, act_max, left_shift;
    int32_t ma_mult, ma_shift, mb_mult, mb_shift, mo_mult, mo_shift;
    bool zmm;  // 16 lanes on ZMM registers (the AVX-512 int8 tier: VNNI conv on ZMM, kernels/x86/conv_s8.h)
};

// Whether add_s8_avx2 may take 16 lanes on ZMM: an AVX-512 CPU and not SDK_INT8_GEMM=avx2
// (AVX2 throughout) or SDK_INT8_ZMM=0, as the conv kernels read them.
bool add_s8_zmm();

// y[i] for i in [0, n); returns how many elements it did (a multiple of 16): the caller
// finishes the tail with the portable loop.
int64_t add_s8_avx2(const AddParams& p, const int8_t* a, const int8_t* b, int8_t* y, int64_t n);

}  // namespace s8
}  // namespace sdk

#endif
