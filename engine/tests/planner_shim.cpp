// Test-only C entry point over sdk::plan_buffers, for tests/test_planner.py (ctypes).
#include <stdlib.h>

#include "core/planner.h"

extern "C" __attribute__((visibility("default"))) int sdk_test_plan(int32_t n, const uint64_t* sizes,
                                                                     const int32_t* first, const int32_t* last,
                                                                     uint64_t* offsets, uint64_t* result) {
    sdk::PlanBuffer* b = static_cast<sdk::PlanBuffer*>(calloc(n > 0 ? n : 1, sizeof(sdk::PlanBuffer)));
    if (!b) return 0;
    for (int32_t i = 0; i < n; ++i) b[i] = sdk::PlanBuffer{sizes[i], first[i], last[i], 0};
    sdk::PlanResult r;
    bool ok = sdk::plan_buffers(b, n, &r);
    for (int32_t i = 0; i < n; ++i) offsets[i] = b[i].offset;
    result[0] = r.arena_bytes;
    result[1] = r.lower_bound;
    result[2] = r.naive_bytes;
    free(b);
    return ok ? 1 : 0;
}
