// SDK_UNROLL: fully unroll the next loop (a constant trip count, e.g. a register tile's
// rows). -Os/-Oz builds, which is how SDKs ship, do not unroll on their own, and a tile
// kept in an array that is not unrolled lives in memory instead of registers.
#pragma once

#if defined(__clang__)
#define SDK_UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define SDK_UNROLL _Pragma("GCC unroll 16")
#else
#define SDK_UNROLL
#endif

// SDK_HOT_TARGET("isa"): a SIMD kernel compiled for the ISA named by its target attribute
// (chosen at run time, so the file itself keeps the ABI baseline) and optimized for speed
// whatever the build type: at -Os (how SDKs ship) GCC spills register tiles to the stack.
// Clang allocates registers well at -Os and has no per-function optimize attribute.
#if defined(__GNUC__) && !defined(__clang__)
#define SDK_HOT_TARGET(isa) __attribute__((target(isa), optimize("O2")))
#else
#define SDK_HOT_TARGET(isa) __attribute__((target(isa)))
#endif
