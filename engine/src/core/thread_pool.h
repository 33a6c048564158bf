// A small pthread pool behind sdk::parallel_for (op.h). One pool per session, a handle on
// the process's crew of workers for its size (shared by every session of that size: N
// sessions of 2 threads start one worker); the calling thread works too, so a crew of N
// threads has N - 1 workers. A job of one session runs inline while another holds the crew.
#pragma once

#include "core/op.h"

namespace sdk {

// nullptr when threads <= 1, the build has no threads, or creation fails (then work
// simply runs inline).
ThreadPool* pool_create(int threads);
void pool_destroy(ThreadPool* pool);

// Brackets a session run (on = 1 at its start, 0 at its end): sleeping workers are woken
// when it starts and keep spinning (yielding) until it ends, instead of going to sleep
// ~100 us after their last job.
void pool_set_running(ThreadPool* pool, int on);

}  // namespace sdk
