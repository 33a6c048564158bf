#include "core/thread_pool.h"

#include <stdlib.h>

#include "core/alloc.h"

#if SDK_FEATURE_THREADS
#include <pthread.h>
#endif

namespace sdk {

#if SDK_FEATURE_THREADS
// Worker index behind a pthread key, not `thread_local` (see core/status.cpp for why; the
// key is made there when the library loads). Callers have no value set: index 0; pool
// workers store index + 1 at start.
extern pthread_key_t g_index_key __attribute__((visibility("hidden")));
extern bool g_index_key_ok __attribute__((visibility("hidden")));

int current_thread_index() {
    uintptr_t v = g_index_key_ok ? reinterpret_cast<uintptr_t>(pthread_getspecific(g_index_key)) : 0;
    return v ? static_cast<int>(v - 1) : 0;
}
#else
int current_thread_index() { return 0; }
#endif

#if SDK_FEATURE_THREADS

// The workers start at the pool's first parallel_for (normally the session's first run),
// not in pool_create: the code that starts and stops them is then reached only from
// parallel_for, so an engine whose ops never call it (e.g. a build without ops) links no
// worker code and none of its pthread imports; a session that never runs starts no threads.
struct ThreadPool {
    int threads;  // requested, including the caller (sizes the per-thread scratch)
    int started;  // workers actually running
    void (*stop)(ThreadPool*);  // set once the workers started (stop_workers)
    pthread_t* workers;
    pthread_mutex_t mu;
    pthread_cond_t work_cv;
    pthread_cond_t done_cv;
    uint64_t generation;  // bumped per job; workers wait for a change
    bool stopping;
    bool busy;  // a job is running: nested parallel_for runs inline
    // current job
    ParallelFn fn;
    void* arg;
    int64_t n;
    int64_t chunk;
    int64_t next;  // atomically claimed chunk start
    int active;    // workers still inside the job
    void* starts;  // WorkerStart per worker
};

namespace {

void run_chunks(ThreadPool* p) {
    for (;;) {
        int64_t begin = __atomic_fetch_add(&p->next, p->chunk, __ATOMIC_RELAXED);
        if (begin >= p->n) return;
        int64_t end = begin + p->chunk < p->n ? begin + p->chunk : p->n;
        p->fn(p->arg, begin, end);
    }
}

struct WorkerStart {
    ThreadPool* pool;
    int index;
};

void* worker_main(void* arg) {
    ThreadPool* p = static_cast<WorkerStart*>(arg)->pool;
    const uintptr_t index = static_cast<uintptr_t>(static_cast<WorkerStart*>(arg)->index);
    // a worker whose index cannot be set would share the caller's scratch: it sits the jobs out
    const bool can_work = pthread_setspecific(g_index_key, reinterpret_cast<void*>(index + 1)) == 0;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stopping && p->generation == seen) pthread_cond_wait(&p->work_cv, &p->mu);
        if (p->stopping) break;
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        if (can_work) run_chunks(p);
        pthread_mutex_lock(&p->mu);
        if (--p->active == 0) pthread_cond_broadcast(&p->done_cv);  // one waiter; broadcast: one import fewer
    }
    pthread_mutex_unlock(&p->mu);
    return nullptr;
}

void stop_workers(ThreadPool* p) {
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->started; ++i) pthread_join(p->workers[i], nullptr);
    pthread_cond_destroy(&p->work_cv);
    pthread_cond_destroy(&p->done_cv);
    pthread_mutex_destroy(&p->mu);
    free(p->workers);
    free(p->starts);
}

void start_workers(ThreadPool* p) {
    pthread_mutex_init(&p->mu, nullptr);
    pthread_cond_init(&p->work_cv, nullptr);
    pthread_cond_init(&p->done_cv, nullptr);
    p->stop = stop_workers;
    p->workers = alloc_array<pthread_t>(p->threads - 1);
    WorkerStart* starts = alloc_array<WorkerStart>(p->threads - 1);
    p->starts = starts;
    for (int i = 0; p->workers && starts && i < p->threads - 1; ++i) {
        starts[i] = WorkerStart{p, i + 1};
        if (pthread_create(&p->workers[i], nullptr, worker_main, &starts[i]) != 0) break;
        ++p->started;
    }
}

}  // namespace

ThreadPool* pool_create(int threads) {
    // without the index key every worker would see index 0 and share one scratch block
    if (threads <= 1 || !g_index_key_ok) return nullptr;
    ThreadPool* p = alloc_array<ThreadPool>(1);
    if (p) p->threads = threads > 64 ? 64 : threads;
    return p;
}

void pool_destroy(ThreadPool* p) {
    if (!p) return;
    if (p->stop) p->stop(p);
    free(p);
}

int pool_threads(const ThreadPool* pool) { return pool ? pool->threads : 1; }

void parallel_for(ThreadPool* p, int64_t n, int64_t grain, ParallelFn fn, void* arg) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    if (p && !p->stop && n >= 2 * grain) start_workers(p);  // the first parallel job (see ThreadPool)
    if (!p || p->started == 0 || p->busy || n < 2 * grain) {
        fn(arg, 0, n);
        return;
    }
    // ~4 chunks per thread (the caller and the running workers) balances uneven chunks
    // without many hand-offs.
    const int64_t parts = 4 * (static_cast<int64_t>(p->started) + 1);
    int64_t chunk = (n + parts - 1) / parts;
    if (chunk < grain) chunk = grain;
    pthread_mutex_lock(&p->mu);
    p->busy = true;
    p->fn = fn;
    p->arg = arg;
    p->n = n;
    p->chunk = chunk;
    p->next = 0;
    p->active = p->started;
    ++p->generation;
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
    run_chunks(p);
    pthread_mutex_lock(&p->mu);
    while (p->active > 0) pthread_cond_wait(&p->done_cv, &p->mu);
    p->busy = false;
    pthread_mutex_unlock(&p->mu);
}

#else  // !SDK_FEATURE_THREADS

struct ThreadPool {
    int threads;
};

ThreadPool* pool_create(int) { return nullptr; }
void pool_destroy(ThreadPool*) {}
int pool_threads(const ThreadPool*) { return 1; }
void parallel_for(ThreadPool*, int64_t n, int64_t, ParallelFn fn, void* arg) {
    if (n > 0) fn(arg, 0, n);
}

#endif

}  // namespace sdk
