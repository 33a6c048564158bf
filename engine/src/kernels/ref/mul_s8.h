// Int8 Mul (kernels/ref/mul_s8.cpp): its parameters and the NEON row (kernels/neon/mul_s8.cpp),
// the AVX2 row (kernels/x86/mul_s8.cpp).
#pragma once

#include <stdint.h>

#include "kernels/requant_s8.h"

namespace sdk {
namespace s8 {

struct MulS8Params {
    int32_t a_zp, b_zp, out_zp;
    Mult m;  // sa * sb / sy
};

// The broadcast walker's row (kernels/ref/binary.h) for int8 Mul, bit-exact with the ref row.
void mul_row_neon(const void* const* in, const uint8_t* unit, void* out, int64_t n, const void* params);
// The AVX2 row (kernels/x86/mul_s8.cpp), bit-exact with the ref row.
void mul_row_avx2(const void* const* in, const uint8_t* unit, void* out, int64_t n, const void* params);

}  // namespace s8
}  // namespace sdk
