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
inline void* aligned_alloc64(size_t bytes) {
    if (bytes == 0) bytes = kAlign;
    if (bytes > SIZE_MAX - kAlign) return nullptr;
    void* p = nullptr;
    if (posix_memalign(&p, kAlign, align_up(bytes)) != 0) return nullptr;
    memset(p, 0, align_up(bytes));
    return p;
}
inline void aligned_free(void* p) { free(p); }

// Zeroed array of n trivially-constructible T; nullptr on overflow/OOM. Free with free().
template <typename T>
T* alloc_array(size_t n) {
    if (n == 0) n = 1;
    if (n > SIZE_MAX / sizeof(T)) return nullptr;
    return static_cast<T*>(calloc(n, sizeof(T)));
}

}  // namespace sdk
