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
