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
        const char* src = static_cast<const char*>(j.in[i]) + o * j.chunk[i] + r;
        if (src != j.y + pos) memcpy(j.y + pos, src, (size_t)len);  // (an input laid in place: nothing to copy)
        pos += len;
        r = 0;
        if (++i == j.n) {
            i = 0;
            ++o;
        }
    }
}

#if SDK_FEATURE_X86
// One outer step (a batch-1 channel concat): task t copies part t / n of input t % n, so a
// thread's contiguous run of tasks is the same share of every input (thread 0 the first
// half of each on 2 threads), cut at 64-byte lines of the output (no two threads write one
// line). With planes of at least kPlaneSplit bytes (channel planes of 1 KB and more: 27x27 and
// larger) the share is of every plane: thread 0 the first half of each plane's pixels, as the
// producers that split pixels (tiles, Winograd rows) wrote them and the consumers that do read
// them; smaller planes take a share of each input's bytes (the first half of the channels, as
// the producers that split channels wrote them). Either way a thread copies mostly what its
// own core wrote: with 4 KB blocks of the whole output thread 0 copied the first input whole.
constexpr int64_t kPlaneSplit = 1024;

struct PartsJob {
    const ConcatJob* j;
    int64_t plane;  // the unit whose share each task copies: a plane, or 0 for the whole input
    int parts;
};

void parts(void* arg, int64_t begin, int64_t end) {
    const PartsJob& pj = *static_cast<const PartsJob*>(arg);
    const ConcatJob& j = *pj.j;
    for (int64_t t = begin; t < end; ++t) {
        const int i = (int)(t % j.n);
        const int64_t p = t / j.n;
        int64_t base = 0;
        for (int k = 0; k < i; ++k) base += j.chunk[k];
        const int64_t unit = pj.plane > 0 ? pj.plane : j.chunk[i];
        for (int64_t u0 = base; unit > 0 && u0 < base + j.chunk[i]; u0 += unit) {
            auto cut = [&](int64_t q) {  // output offset of part q's start in this unit
                const int64_t at = q == pj.parts ? u0 + unit : (u0 + unit * q / pj.parts) & ~int64_t(63);
                return at < u0 ? u0 : at;
            };
            const int64_t a = cut(p), b = cut(p + 1);
            const char* src = static_cast<const char*>(j.in[i]) + (a - base);
            if (b > a && src != j.y + a) memcpy(j.y + a, src, (size_t)(b - a));  // (or laid in place)
        }
    }
}
#endif

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

#if SDK_FEATURE_X86
void concat_copy_x86(int num_inputs, const void* const* inputs, const int64_t* chunk_bytes, int64_t outer,
                     int64_t plane_bytes, void* y, ThreadPool* pool) {
    int64_t row = 0;
    for (int i = 0; i < num_inputs; ++i) row += chunk_bytes[i];
    const int threads = pool_threads(pool);
    if (outer != 1 || threads < 2 || row < 16 * kBlock * threads)  // (>= 64 KB a thread, as below)
        return concat_copy(num_inputs, inputs, chunk_bytes, outer, y, pool);
    ConcatJob j = {num_inputs, inputs, chunk_bytes, row, row, static_cast<char*>(y)};
    PartsJob pj = {&j, plane_bytes >= kPlaneSplit ? plane_bytes : 0, threads};
    parallel_for(pool, (int64_t)num_inputs * threads, num_inputs, parts, &pj);
}
#endif

}  // namespace ref
}  // namespace sdk
