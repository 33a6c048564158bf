// Concat copy (any dtype): for each outer step, each input's chunk in turn.
#include <string.h>

#include "kernels/ref/move.h"

namespace sdk {
namespace ref {
namespace {

struct ConcatJob {
    int n;
    const void* const* in;
    const int64_t* chunk;
    int64_t row;  // output bytes per outer step
    int64_t total;
    char* y;
};

constexpr int64_t kBlock = 4096;  // split unit (bytes of output): no two threads write one cache line

// Output bytes [begin * kBlock, end * kBlock): the pieces of the chunks that fall there.
void blocks(void* arg, int64_t begin, int64_t end) {
    const ConcatJob& j = *static_cast<const ConcatJob*>(arg);
    int64_t pos = begin * kBlock;
    const int64_t stop = end * kBlock < j.total ? end * kBlock : j.total;
    int64_t o = pos / j.row, r = pos % j.row;
    int i = 0;
    while (r >= j.chunk[i]) r -= j.chunk[i++];  // r < row: stops at the input holding pos
    while (pos < stop) {
        int64_t len = j.chunk[i] - r;
        if (len > stop - pos) len = stop - pos;
        memcpy(j.y + pos, static_cast<const char*>(j.in[i]) + o * j.chunk[i] + r, (size_t)len);
        pos += len;
        r = 0;
        if (++i == j.n) {
            i = 0;
            ++o;
        }
    }
}

}  // namespace

void concat_copy(int num_inputs, const void* const* inputs, const int64_t* chunk_bytes, int64_t outer, void* y,
                 ThreadPool* pool) {
    int64_t row = 0;
    for (int i = 0; i < num_inputs; ++i) row += chunk_bytes[i];
    if (row == 0) return;  // every input empty along the axis
    ConcatJob j = {num_inputs, inputs, chunk_bytes, row, row * outer, static_cast<char*>(y)};
    // blocks of 4 KB, at least 64 KB per thread (a memcpy of 64 KB pays for the hand-off)
    parallel_for(pool, (j.total + kBlock - 1) / kBlock, 16, blocks, &j);
}

}  // namespace ref
}  // namespace sdk
