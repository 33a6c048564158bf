// Allocation helpers: the engine uses malloc/free only (no operator new, no libstdc++).
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

namespace sdk {

constexpr size_t kAlign = 64;

inline size_t align_up(size_t n, size_t a = kAlign) { return (n + a - 1) & ~(a - 1); }

// 64-byte aligned, zeroed; nullptr on failure or size overflow. Free with aligned_free.
// calloc + manual alignment (the block's start is kept in the word just below the aligned
// pointer; the word below that is free for the caller: model.h chains blocks through it):
// no posix_memalign/memset imports, and calloc already zeroes. Out of line (status.cpp):
// one copy instead of one per call site.
void* aligned_alloc64(size_t bytes);
inline void aligned_free(void* p) {
    if (p) free(static_cast<void**>(p)[-1]);
}

// (calloc itself fails on n * sizeof(T) overflow.)
template <typename T>
T* alloc_array(size_t n) {
    return static_cast<T*>(calloc(n + (n == 0), sizeof(T)));
}

}  // namespace sdk
