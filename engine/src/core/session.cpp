// Session creation and the graph executor.
#include "core/session.h"

#include "core/alloc.h"
#include "core/status.h"
#include "core/session_use.h"
#include "core/thread_pool.h"

namespace sdk {

sdk_status session_create(const Model* m, int threads, Session** out, size_t max_bytes) {
    *out = nullptr;
    // Everything this session will hold, checked before any of it is allocated (a small file
    // can plan a huge arena). Threads as pool_create caps them; 64-bit sums of values that
    // are each below SIZE_MAX cannot wrap.
    const uint64_t nthreads = SDK_FEATURE_THREADS && threads > 1 ? (threads > 64 ? 64 : threads) : 1;
    const uint64_t need = uint64_t(m->arena_bytes) + m->scratch_bytes + nthreads * m->thread_scratch_bytes +
                          (uint64_t(m->num_tensors) + m->num_io + m->num_inputs) * sizeof(void*);
    if (need > max_bytes)
        return set_error(SDK_ERR_OUT_OF_MEMORY,
                         "the session needs %llu bytes (arena %zu), over its limit of %zu: raise "
                         "sdk_session_options_ex.max_session_bytes if you trust the model",
                         static_cast<unsigned long long>(need), m->arena_bytes, max_bytes);
    Session* s = alloc_array<Session>(1);
    size_t per_thread = 0, n = 1;
    if (s) {
        s->model = m;
        s->arena = static_cast<uint8_t*>(aligned_alloc64(m->arena_bytes));
        s->scratch = aligned_alloc64(m->scratch_bytes);
        // pointers per tensor and per node IO entry, then a flag byte per graph input
        const size_t ptrs = static_cast<size_t>(m->num_tensors) + m->num_io;
        const size_t flag_ptrs = (static_cast<size_t>(m->num_inputs) + sizeof(void*) - 1) / sizeof(void*);
        s->tensor_data = alloc_array<void*>(ptrs + flag_ptrs);
        if (s->tensor_data) s->input_set = reinterpret_cast<uint8_t*>(s->tensor_data + ptrs);
        s->pool = pool_create(threads);
        n = static_cast<size_t>(pool_threads(s->pool));
        per_thread = m->thread_scratch_bytes;
        if (per_thread) s->thread_scratch = per_thread <= SIZE_MAX / n ? aligned_alloc64(per_thread * n) : nullptr;
    }
    if (!s || !s->arena || !s->scratch || !s->tensor_data || (per_thread && !s->thread_scratch)) {
        session_free(s);
        return set_error(SDK_ERR_OUT_OF_MEMORY,
                         "out of memory creating a session (arena %zu bytes, scratch %zu, per-thread scratch %zu x %zu)",
                         m->arena_bytes, m->scratch_bytes, per_thread, n);
    }
    s->io_data = s->tensor_data + m->num_tensors;
    for (int32_t t = 0; t < m->num_tensors; ++t) {
        const Tensor& x = m->tensors[t];
        if (x.flags & kTensorConstant)
            s->tensor_data[t] = const_cast<void*>(x.const_data);  // ops never write inputs
        else if (m->tensor_const[t])
            s->tensor_data[t] = const_cast<void*>(m->tensor_const[t]);
        else if (m->tensor_offset[t] != kNoOffset)
            s->tensor_data[t] = s->arena + m->tensor_offset[t];
    }
    for (int32_t i = 0; i < m->num_nodes; ++i) {
        const Node& nd = m->nodes[i];
        for (int k = 0; k < nd.num_inputs + nd.num_outputs; ++k) {
            int32_t t = nd.inputs[k];
            s->io_data[nd.io_offset + k] = t >= 0 ? s->tensor_data[t] : nullptr;
        }
    }
    *out = s;
    return SDK_OK;
}

bool session_enter(Session* s, const char* fn) {
    if (!__atomic_exchange_n(&s->in_use, 1, __ATOMIC_ACQUIRE)) return true;
    set_error(SDK_ERR_STATE, "%s: the session is in use on another thread: use one session per thread", fn);
    return false;
}

void session_free(Session* s) {
    if (!s) return;
    pool_destroy(s->pool);
    aligned_free(s->arena);
    aligned_free(s->scratch);
    aligned_free(s->thread_scratch);
    free(s->tensor_data);
    free(s);
}

sdk_status session_run(Session* s) {
    const Model* m = s->model;
    s->has_run = false;
    // The plan reuses an input's memory once its last reader is done, so each run needs
    // fresh inputs; a stale one would silently compute garbage.
    for (int32_t i = 0; i < m->num_inputs; ++i)
        if (!s->input_set[i])
            return set_error(SDK_ERR_STATE,
                             "sdk_session_run: input '%.64s' is not set (a run consumes its inputs: set every "
                             "input before each run)",
                             m->tensors[m->inputs[i]].name);
    for (int32_t i = 0; i < m->num_inputs; ++i) s->input_set[i] = 0;
    clear_error();
    RunContext& ctx = s->ctx;
    for (int32_t i = 0; i < m->num_nodes; ++i) {
        const Node& n = m->nodes[i];
        if (!n.op->run) continue;  // alias ops: the output already is the input's memory
        ctx.node = &n;
        ctx.op_data = n.op_data;
        ctx.in_data = s->io_data + n.io_offset;
        ctx.out_data = s->io_data + n.io_offset + n.num_inputs;
        ctx.in_tensors = m->io_tensors + n.io_offset;
        ctx.out_tensors = m->io_tensors + n.io_offset + n.num_inputs;
        ctx.scratch = s->scratch;
        ctx.scratch_bytes = m->scratch_bytes;
        ctx.pool = s->pool;
        ctx.num_inputs = n.num_inputs;
        ctx.num_outputs = n.num_outputs;
        ctx.thread_scratch_base = s->thread_scratch;
        ctx.thread_scratch_stride = m->thread_scratch_bytes;
        sdk_status st = n.op->run(ctx);
        if (st != SDK_OK) {
            if (!last_error()[0]) set_error(st, "run failed");
            prefix_error("node '%.64s' (%s): ", n.name, n.type);
            return st;
        }
    }
    s->has_run = true;
    return SDK_OK;
}

}  // namespace sdk
