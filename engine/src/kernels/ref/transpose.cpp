// Strided copy (any element size): an odometer over the output rows (innermost output dim),
// each row a memcpy (contiguous source), a fill (broadcast source) or a strided gather.
// When the innermost output dim is strided and another output dim reads the input's
// contiguous dim (a transpose of the two innermost axes, NCHW <-> NHWC), 4-byte elements
// go in square tiles of those two dims so both sides stay in cache.
#include <string.h>

#include "kernels/ref/move.h"

namespace sdk {
namespace ref {
namespace {

constexpr int64_t kTile = 16;

struct Job {
    const TransposeParams* p;
    const void* x;
    void* y;
    int j;            // tiled: the output dim with input stride 1, else -1
    int64_t jblocks;  // tiled: tiles along dim j
};

// Output position `linear` (over the dims listed in `which`, row-major) -> input offset.
inline int64_t start_offset(const TransposeParams& p, const int* which, int n, int64_t linear, int64_t* idx) {
    int64_t off = 0;
    for (int k = n - 1; k >= 0; --k) {
        const int d = which[k];
        idx[k] = linear % p.dims[d];
        linear /= p.dims[d];
        off += idx[k] * p.in_strides[d];
    }
    return off;
}

inline void advance(const TransposeParams& p, const int* which, int n, int64_t* idx, int64_t* off) {
    for (int k = n - 1; k >= 0; --k) {
        const int d = which[k];
        *off += p.in_strides[d];
        if (++idx[k] < p.dims[d]) return;
        *off -= p.in_strides[d] * p.dims[d];
        idx[k] = 0;
    }
}

// One output row of n elements from src with input stride is (0: a broadcast element).
template <typename T>
inline void row(const T* src, T* y, int64_t n, int64_t is) {
    if (is == 0) {
        const T v = *src;
        for (int64_t i = 0; i < n; ++i) y[i] = v;
    } else {
        for (int64_t i = 0; i < n; ++i) y[i] = src[i * is];
    }
}

// Rows r0..r1 of the output (one loop for every element size; only the strided row is typed).
void rows(const Job& jb, int64_t r0, int64_t r1) {
    const TransposeParams& p = *jb.p;
    const int r = p.rank;
    const int64_t inner = p.dims[r - 1], is = p.in_strides[r - 1];
    const int64_t es = p.elem_size;
    int which[kMaxRank];
    for (int k = 0; k < r - 1; ++k) which[k] = k;
    int64_t idx[kMaxRank];
    int64_t off = start_offset(p, which, r - 1, r0, idx);
    const char* x = static_cast<const char*>(jb.x);
    char* y = static_cast<char*>(jb.y) + r0 * inner * es;
    for (int64_t rw = r0; rw < r1; ++rw, y += inner * es) {
        const char* src = x + off * es;
        if (is == 1) {
            memcpy(y, src, (size_t)(inner * es));
        } else {
            switch (es) {
                case 8: row((const uint64_t*)src, (uint64_t*)y, inner, is); break;
                case 4: row((const uint32_t*)src, (uint32_t*)y, inner, is); break;
                case 2: row((const uint16_t*)src, (uint16_t*)y, inner, is); break;
                default: row((const uint8_t*)src, (uint8_t*)y, inner, is); break;
            }
        }
        advance(p, which, r - 1, idx, &off);
    }
}

// Task t = (position over the dims other than j and the last, tile along j).
template <typename T>
void tiles(const Job& jb, int64_t t0, int64_t t1) {
    const TransposeParams& p = *jb.p;
    const int r = p.rank, j = jb.j;
    const int64_t L = p.dims[r - 1], is = p.in_strides[r - 1], J = p.dims[j];
    int which[kMaxRank], n = 0;
    int64_t out_strides[kMaxRank], s = 1;
    for (int k = r - 1; k >= 0; --k) {
        out_strides[k] = s;
        s *= p.dims[k];
    }
    for (int k = 0; k < r - 1; ++k)
        if (k != j) which[n++] = k;
    const T* x = static_cast<const T*>(jb.x);
    T* y = static_cast<T*>(jb.y);
    const int64_t osj = out_strides[j];
    for (int64_t t = t0; t < t1; ++t) {
        const int64_t outer = t / jb.jblocks, j0 = (t % jb.jblocks) * kTile;
        const int64_t j1 = j0 + kTile < J ? j0 + kTile : J;
        int64_t idx[kMaxRank], in_off = 0, out_off = 0;
        int64_t lin = outer;
        for (int k = n - 1; k >= 0; --k) {
            const int d = which[k];
            idx[k] = lin % p.dims[d];
            lin /= p.dims[d];
            in_off += idx[k] * p.in_strides[d];
            out_off += idx[k] * out_strides[d];
        }
        for (int64_t l0 = 0; l0 < L; l0 += kTile) {
            const int64_t l1 = l0 + kTile < L ? l0 + kTile : L;
            for (int64_t jj = j0; jj < j1; ++jj) {
                const T* src = x + in_off + jj;
                T* dst = y + out_off + jj * osj;
                for (int64_t l = l0; l < l1; ++l) dst[l] = src[l * is];
            }
        }
    }
}

void run_rows(void* arg, int64_t b, int64_t e) { rows(*static_cast<const Job*>(arg), b, e); }
template <typename T>
void run_tiles(void* arg, int64_t b, int64_t e) {
    tiles<T>(*static_cast<const Job*>(arg), b, e);
}

void copy(const TransposeParams& p, const void* x, void* y, ThreadPool* pool) {
    Job jb = {&p, x, y, -1, 0};
    const int r = p.rank;
    const int64_t L = p.dims[r - 1], is = p.in_strides[r - 1];
    int64_t total = 1;
    for (int k = 0; k < r; ++k) total *= p.dims[k];
    if (p.elem_size == 4 && is != 1 && is != 0 && L >= 4)  // tiles for f32/i32 (the others take rows)
        for (int k = r - 2; k >= 0; --k)
            if (p.in_strides[k] == 1 && p.dims[k] >= 4) {
                jb.j = k;
                break;
            }
    if (jb.j >= 0) {
        jb.jblocks = (p.dims[jb.j] + kTile - 1) / kTile;
        const int64_t tasks = total / (p.dims[jb.j] * L) * jb.jblocks;
        const int64_t per_task = kTile * L;
        parallel_for(pool, tasks, (1 << 15) / per_task + 1, run_tiles<uint32_t>, &jb);
        return;
    }
    const int64_t nrows = total / L;
    parallel_for(pool, nrows, (1 << 15) / (L * p.elem_size) + 1, run_rows, &jb);
}

}  // namespace

void strided_simplify(TransposeParams& p) {
    int r = 0;
    for (int i = 0; i < p.rank; ++i) {
        if (p.dims[i] == 1) continue;
        if (r > 0 && p.in_strides[r - 1] == p.dims[i] * p.in_strides[i]) {
            p.dims[r - 1] *= p.dims[i];  // the previous dim steps over exactly this one
            p.in_strides[r - 1] = p.in_strides[i];
            continue;
        }
        p.dims[r] = p.dims[i];
        p.in_strides[r] = p.in_strides[i];
        ++r;
    }
    if (r == 0) {
        r = 1;
        p.dims[0] = 1;
        p.in_strides[0] = 1;
    }
    p.rank = r;
}

void transpose_copy(const TransposeParams& p, const void* x, void* y, ThreadPool* pool) { copy(p, x, y, pool); }

}  // namespace ref
}  // namespace sdk
