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
// calloc + manual alignment (the block's start is kept just below the aligned pointer):
// no posix_memalign/memset imports, and calloc already zeroes.
inline void* aligned_alloc64(size_t bytes) {
    if (bytes > SIZE_MAX - 3 * kAlign) return nullptr;
    void* base = calloc(1, align_up(bytes) + 2 * kAlign);  // the aligned size stays usable, as before
    if (!base) return nullptr;
    void** p = reinterpret_cast<void**>(align_up(reinterpret_cast<uintptr_t>(base) + kAlign));
    p[-1] = base;
    return p;
}
inline void aligned_free(void* p) {
    if (p) free(static_cast<void**>(p)[-1]);
}

// Zeroed array of n trivially-constructible T; nullptr on overflow/OOM. Free with free().
// (calloc itself fails on n * sizeof(T) overflow.)
template <typename T>
T* alloc_array(size_t n) {
    return static_cast<T*>(calloc(n + (n == 0), sizeof(T)));
}

}  // namespace sdk
