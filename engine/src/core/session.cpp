// Session creation and the graph executor.
#include "core/session.h"

#include "core/alloc.h"
#include "core/status.h"
#include "core/session_use.h"
#include "core/thread_pool.h"

#if SDK_PROFILE  // development only: -Dcpp_args=-DSDK_PROFILE=1 (never in a shipped build)
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#endif

namespace sdk {

#if SDK_PROFILE
extern int g_profile_node;  // core/thread_pool.cpp
namespace {
// Per-node wall time summed over a session's runs, printed to stderr by session_free
// (or to the file SDK_PROFILE_OUT names, appended): one line per node, then the total.
struct Profile {
    double* ns;
    int64_t runs;
};
Profile g_prof[64];  // by session slot; a dev build profiles few sessions
const Session* g_prof_owner[64];
Profile* profile_of(const Session* s, int32_t nodes) {
    for (int i = 0; i < 64; ++i)
        if (g_prof_owner[i] == s) return &g_prof[i];
    for (int i = 0; i < 64; ++i)
        if (!g_prof_owner[i]) {
            g_prof_owner[i] = s;
            g_prof[i].ns = static_cast<double*>(calloc((size_t)nodes + 1, sizeof(double)));
            g_prof[i].runs = 0;
            return &g_prof[i];
        }
    return nullptr;
}
double now_ns() {
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}
void profile_dump(const Session* s) {
    for (int i = 0; i < 64; ++i) {
        if (g_prof_owner[i] != s) continue;
        const Model* m = s->model;
        Profile& p = g_prof[i];
        const char* path = getenv("SDK_PROFILE_OUT");
        FILE* f = path ? fopen(path, "a") : stderr;
        if (f && p.runs > 0) {
            double total = 0;
            for (int32_t k = 0; k < m->num_nodes; ++k) total += p.ns[k];
            for (int32_t k = 0; k < m->num_nodes; ++k)
                fprintf(f, "profile\t%d\t%s\t%s\t%.1f\n", k, m->nodes[k].type, m->nodes[k].name,
                        p.ns[k] / p.runs / 1e3);
            fprintf(f, "profile\ttotal\t%lld runs\t\t%.1f\n", (long long)p.runs, total / p.runs / 1e3);
        }
        if (f && f != stderr) fclose(f);
        free(p.ns);
        g_prof_owner[i] = nullptr;
    }
}
}  // namespace
#endif

sdk_status session_create(const Model* m, int threads, Session** out, size_t max_bytes) {
    *out = nullptr;
    // Everything this session will hold, checked before any of it is allocated (a small file
    // can plan a huge arena). Threads as pool_create caps them; 64-bit sums of values that
    // are each below SIZE_MAX cannot wrap.
    const uint64_t nthreads = SDK_FEATURE_THREADS && threads > 1 ? (threads > 64 ? 64 : threads) : 1;
    const uint64_t need = uint64_t(m->arena_bytes) + m->scratch_bytes + nthreads * m->thread_scratch_bytes +
                          (uint64_t(m->num_tensors) + m->num_io + m->num_inputs) * sizeof(void*);
    if (need > max_bytes)
        return set_error(SDK_ERR_OUT_OF_MEMORY, SDK_LIMIT_FORMAT, "session", static_cast<unsigned long long>(need),
                         "its arena and scratch", max_bytes, "sdk_session_options_ex.max_session_bytes");
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
        return set_error(SDK_ERR_OUT_OF_MEMORY, "out of memory creating a session (%llu bytes)",
                         static_cast<unsigned long long>(need));
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
    set_error(SDK_ERR_STATE, "sdk_%s: the session is in use on another thread: use one session per thread", fn);
    return false;
}

void session_free(Session* s) {
    if (!s) return;
#if SDK_PROFILE
    profile_dump(s);
#endif
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
                             "sdk_session_run: input '%.64s' is not set (set every input before each run)",
                             m->tensors[m->inputs[i]].name);
    for (int32_t i = 0; i < m->num_inputs; ++i) s->input_set[i] = 0;
    clear_error();
    RunContext& ctx = s->ctx;
    pool_set_running(s->pool, 1);
#if SDK_PROFILE
    Profile* prof = profile_of(s, m->num_nodes);
    if (prof) ++prof->runs;
#endif
    sdk_status st = SDK_OK;
    const Node* n_failed = nullptr;
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
#if SDK_PROFILE
        const double t0 = now_ns();
        g_profile_node = i;  // (core/thread_pool.cpp's job trace)
        st = n.op->run(ctx);
        if (prof && prof->ns) prof->ns[i] += now_ns() - t0;
#else
        st = n.op->run(ctx);
#endif
        if (st != SDK_OK) {
            n_failed = &n;
            break;
        }
    }
    pool_set_running(s->pool, 0);
    if (n_failed) {
        if (!last_error()[0]) set_error(st, "run failed");
        prefix_error("node '%.64s' (%s): ", n_failed->name, n_failed->type);
        return st;
    }
    s->has_run = true;
    return SDK_OK;
}

}  // namespace sdk
