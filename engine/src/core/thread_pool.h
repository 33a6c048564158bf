// A small pthread pool behind sdk::parallel_for (op.h). One pool per session; the
// calling thread works too, so a pool of N threads starts N - 1 workers.
#pragma once

#include "core/op.h"

namespace sdk {

// nullptr when threads <= 1, the build has no threads, or creation fails (then work
// simply runs inline).
ThreadPool* pool_create(int threads);
void pool_destroy(ThreadPool* pool);

}  // namespace sdk
