// A session: one arena, scratch and thread pool over a shared, immutable model.
#pragma once

#include "core/model.h"

namespace sdk {

struct Session {
    const Model* model;
    uint8_t* arena;
    void* scratch;
    void* thread_scratch;  // pool_threads blocks of model->thread_scratch_bytes
    void** tensor_data;    // per tensor: constant data, arena slot, or nullptr (unused); then
    void** io_data;        // per node IO entry, as RunContext::in_data/out_data (same block)
    uint8_t* input_set;    // per graph input: set since the last run (a run consumes its inputs)
    ThreadPool* pool;
    RunContext ctx;  // the node being run (here, not on the stack: no stack-protector canary per run)
    bool has_run;
    int in_use;  // 1 while a thread is inside a C API call on this session (core/session_use.h)
};

// Fails with SDK_ERR_OUT_OF_MEMORY, before allocating, when the session would need more
// than max_bytes.
sdk_status session_create(const Model* model, int threads, Session** out, size_t max_bytes = SIZE_MAX);
void session_free(Session* s);
sdk_status session_run(Session* s);

}  // namespace sdk
