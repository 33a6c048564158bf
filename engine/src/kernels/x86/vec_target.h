// Target regions for the x86 SIMD element-wise kernels: the ABI baselines lack AVX2 and
// AVX-512, so a kernel file includes this first, then compiles its functions for the ISA
// between SDK_VEC_TARGET_BEGIN("avx2,fma") and SDK_VEC_TARGET_END (they are chosen at run
// time), including kernels/x86/vec_x86.h (the vector types) and kernels/vec_math.h inside:
//
//     #include "kernels/x86/vec_target.h"
//     SDK_VEC_TARGET_BEGIN("avx2,fma")
//     #define SDK_VEC_AVX2 1
//     #include "kernels/x86/vec_x86.h"
//     #include "kernels/vec_math.h"
//     ... kernels ...
//     SDK_VEC_TARGET_END
#pragma once

#include <immintrin.h>

// Every function defined between BEGIN and END is compiled for `isa` (GCC also at -O2: at
// -Os it keeps vector temporaries on the stack).
#if defined(__clang__)
#define SDK_VEC_PRAGMA(x) _Pragma(#x)
#define SDK_VEC_TARGET_BEGIN(isa) SDK_VEC_PRAGMA(clang attribute push(__attribute__((target(isa))), apply_to = function))
#define SDK_VEC_TARGET_END _Pragma("clang attribute pop")
#else
#define SDK_VEC_PRAGMA(x) _Pragma(#x)
// (GCC 12 warns about its own AVX-512 intrinsics' undefined merge operands: not ours.)
#define SDK_VEC_TARGET_BEGIN(isa)                                                                  \
    _Pragma("GCC push_options") SDK_VEC_PRAGMA(GCC target(isa)) _Pragma("GCC optimize(\"O2\")") \
        _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
#define SDK_VEC_TARGET_END _Pragma("GCC diagnostic pop") _Pragma("GCC pop_options")
#endif
