// The arena planner: tensor lifetimes from node order; offsets from a greedy best-fit pass
// (largest first), improved by a bounded local search.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace sdk {

// One arena buffer: live over steps [first, last] (inclusive), `size` bytes.
struct PlanBuffer {
    uint64_t size;
    int32_t first;
    int32_t last;
    uint64_t offset;  // result, a multiple of 64
};

struct PlanResult {
    uint64_t arena_bytes;  // max(offset + aligned size)
    uint64_t lower_bound;  // max over steps of the aligned sizes live at that step
    uint64_t naive_bytes;  // sum of the aligned sizes (no reuse)
};

// Places every buffer so that buffers live at a common step never overlap. A greedy pass
// takes the buffers in some order and puts each into the smallest gap between
// already-placed, time-overlapping buffers that fits it (best fit), else on top of them.
// The first pass takes them by size (largest first); then a hill climb moves buffers that
// end at the arena top to other places of the order and re-runs the pass, keeping any
// order that is no worse. It stops at the lower bound (optimal) or after a fixed amount of
// work, so huge graphs cost about one or two passes (O(n^2)) and results are
// deterministic. Sizes are rounded up to 64 bytes. Returns false on OOM.
bool plan_buffers(PlanBuffer* bufs, int32_t n, PlanResult* result);

}  // namespace sdk
