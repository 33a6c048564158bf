#include "core/thread_pool.h"

#include <stdlib.h>

#include "core/alloc.h"
#include "core/status.h"  // keys_ready

#if SDK_FEATURE_THREADS
#include <pthread.h>
#include <sched.h>
#include <time.h>
#endif
#if SDK_PROFILE && SDK_FEATURE_THREADS  // development only (core/session.cpp): the job trace below
#include <stdio.h>
#endif

namespace sdk {
#if SDK_PROFILE
int g_profile_node = -1;  // the node session_run is in (the job trace below)
#endif

#if SDK_FEATURE_THREADS
// Worker index behind a pthread key, not `thread_local` (see core/status.cpp for why; the
// key is made there when the library loads). Callers have no value set: index 0; pool
// workers store index + 1 at start.
extern pthread_key_t g_index_key __attribute__((visibility("hidden")));
extern int g_keys __attribute__((visibility("hidden")));  // 2: made (status.cpp)

int current_thread_index() {
    // (workers exist only once the keys are made: pool_create makes them)
    uintptr_t v = __atomic_load_n(&g_keys, __ATOMIC_RELAXED) == 2
                      ? reinterpret_cast<uintptr_t>(pthread_getspecific(g_index_key)) : 0;
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
//
// One crew of workers per pool size is shared by every session of the process (a
// ThreadPool is the session's handle on it): N sessions of 2 threads start 1 worker, not N.
// A job takes the crew for itself (Crew::busy); a parallel_for that finds it taken (another
// session's run on another thread, or a nested call from a callback) runs inline.
//
// Hand-off: a run is ~60 ops, each one or more parallel_for calls a few to a few hundred
// µs long, so a futex sleep/wake per job (tens of µs on a loaded or idle core alike) ate
// the gain of the second thread. Jobs are published with atomics; a worker that finished
// a job spins on the job generation for kSpinNs (pause/yield) before it sleeps on the
// condvar, and the caller spin-waits for the workers that joined the job to finish their
// chunks (they are running them, so that wait is short). Idle between runs, a worker
// burns at most kSpinNs.
//
// Late workers are shut out, not waited for: a worker joins a job (Crew::gate) before it
// claims chunks, and the caller closes the gate once it has run or claimed every chunk
// itself. A worker that was preempted (a loaded machine: other processes on the core) or
// still waking up then skips the job instead of holding the caller until the scheduler
// gives it the core back: the caller had waited for every worker to see every job, so on
// a busy machine a 2-thread run took longer than a 1-thread one (each of a run's ~100
// jobs waited out a time slice of the other process), and 2-thread medians moved 45-70 %
// between runs minutes apart.
struct Crew {
    int threads;  // including the caller
    int started;  // workers actually running
    int refs;     // pools attached (g_crews_mu)
    pthread_t* workers;
    void* starts;  // WorkerStart per worker
    pthread_mutex_t mu;
    pthread_cond_t work_cv;
    // current job: written by the caller before it publishes the job in `gate` (release),
    // read by workers after they see it (acquire)
    ParallelFn fn;
    void* arg;
    int64_t n;
    int64_t chunk;
    // the atomics on their own cache lines (padding, not alignas: calloc gives 16-byte
    // alignment): spinning workers poll the gate while chunks are claimed via `next`
    char pad0[64];
    // alignas(8): i386 aligns 64-bit members to 4, and clang turns a misaligned 64-bit
    // atomic into a libatomic call
    // gate: job generation << kGenShift | kClosed once the caller took every chunk | workers
    // inside the job (low bits). Bumped per job; workers wait for a new generation, then
    // join with a CAS that fails once the gate is closed (or a newer job is out).
    alignas(8) uint64_t gate;
    int sleepers;         // workers in (or entering) the condvar wait
    bool stopping;
    int running;          // session runs in progress (pool_set_running): workers keep spinning
    int busy;             // a job holds the crew (taken with an atomic exchange)
    int caller_cpu;       // CPU of the caller at its last job, -1 unknown (on_callers_cpu)
    char pad1[64];
    alignas(8) int64_t next;  // atomically claimed chunk start (jobs of more than 64 chunks)
    uint64_t claimed;         // chunk i done or running: bit i (jobs of up to 64 chunks)
};

#if SDK_PROFILE
// Development only (-Dcpp_args=-DSDK_PROFILE=1, never shipped): with SDK_PROFILE_JOBS=FILE every
// parallel_for appends a line: node (g_profile_node, set by session_run), inline|par, n, grain,
// chunk, chunks, the caller's and the worker's thread-CPU ns in their chunks, wall ns. With
// SDK_PROFILE_STATIC=1 each thread runs exactly its own share (no taking over the other's), so
// the two CPU times show how evenly a split divides the work whatever the machine's load.
// bench/thread_balance.py reads it.
namespace {
FILE* g_jobs;
int g_static = -1;
int64_t g_worker_cpu;
int64_t clock_of(clockid_t c) {
    timespec t;
    clock_gettime(c, &t);
    return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}
void jobs_open() {
    if (g_static >= 0) return;
    const char* path = getenv("SDK_PROFILE_JOBS");
    g_jobs = path ? fopen(path, "a") : nullptr;
    g_static = getenv("SDK_PROFILE_STATIC") ? 1 : 0;
}
}  // namespace
#endif

constexpr int kGenShift = 16;
constexpr uint64_t kClosed = uint64_t(1) << (kGenShift - 1);
constexpr uint64_t kInside = kClosed - 1;

// What pool_create makes: the core (pool_create/destroy/threads/set_running) touches only
// `threads` and the two hooks, set once the pool attached to a crew (attach).
struct ThreadPool {
    int threads;  // requested, including the caller (sizes the per-thread scratch)
    void (*stop)(ThreadPool*);         // detach
    void (*wake)(ThreadPool*, int on);  // run_state
    Crew* crew;
    int in_run;    // between pool_set_running(1) and (0)
    int counted;   // this pool's run is counted in crew->running
};

namespace {

// ~400 µs after a run: longer than an app's (or the bench's Python loop's) work between
// back-to-back runs (setting the input, reading the output: 100-200 µs for a 224x224
// image, which with 100 µs sent the worker to sleep and cost a futex wake and ~1 voluntary
// context switch per run, which onnxruntime's spinning workers do not pay), short enough
// that an idle session costs nothing noticeable.
constexpr int64_t kSpinNs = 400 * 1000;

// A waiting thread (a worker between jobs, the caller waiting for the workers inside a job)
// keeps its core for kOwnNs before it calls sched_yield now and then. Yielding at once (every
// 16 pauses) gave the core away whenever another process had a runnable thread there: the
// scheduler then ran that thread for a whole time slice (a peer runtime's OpenMP worker
// spinning after its run, a compiler), the caller found the worker's share unclaimed and
// ran it itself, and 2-thread runs went at 1-thread speed. The gaps between a run's jobs
// are a few to tens of µs, so a worker now holds its core through a run; a thread that
// waits longer (a pool larger than the free cores, where pure spinning starves the thread
// that has the work) still yields, after at most kOwnNs.
constexpr int64_t kOwnNs = 100 * 1000;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

int64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// The CPU the caller last published a job from (-1: unknown), and whether this thread runs
// there too: a worker the scheduler placed on the caller's CPU (woken while every CPU was
// busy) only delays the caller by spinning there, so it yields at once.
inline int this_cpu() {
#if defined(__linux__)
    return sched_getcpu();
#else
    return -1;
#endif
}
inline bool on_callers_cpu(Crew* p) {
    const int c = __atomic_load_n(&p->caller_cpu, __ATOMIC_RELAXED);
    return c >= 0 && c == this_cpu();
}

// The kOwnNs window of a waiting thread, in time it actually had the core: a gap of more
// than kOffCoreNs between two looks at the clock (~16 pauses apart) means the thread was off
// the core (preempted, or it yielded), and the window starts again once it is back: a
// thread that yielded (or was preempted) at once on its return gave the core away again
// for another time slice.
constexpr int64_t kOffCoreNs = 20 * 1000;
struct OwnCore {
    int64_t start = 0, last = 0;
    bool done(int64_t t) {
        if (t - last > kOffCoreNs) start = t;
        last = t;
        return t - start >= kOwnNs;
    }
};

inline bool claim(Crew* p, int64_t c) {
    const uint64_t bit = uint64_t(1) << c;
    // a plain load first: a thread looking for work mostly meets chunks already taken
    if (__atomic_load_n(&p->claimed, __ATOMIC_RELAXED) & bit) return false;
    return !(__atomic_fetch_or(&p->claimed, bit, __ATOMIC_RELAXED) & bit);
}

// Thread `index` (0 = the caller) of `threads` runs the chunks of the job.
//
// Up to 64 chunks: each thread first runs its own share, the index-th contiguous fraction
// of [0, n) in order, then takes what is left of the others' shares, from the end back.
// The shares follow the thread index, not who claims first: consecutive ops that split
// their output the same way (the caller the first half, the worker the second) then read
// mostly what the same core wrote. With a race for the next chunk the halves fell to
// either thread at random and a 14x14 depthwise layer after a 1x1 ran no faster on 2
// threads than on 1 (its inputs came from the other core's cache). A late thread (e.g. a
// preempted worker) still has its share taken over by the others.
void run_chunks(Crew* p, int index, int threads) {
    const int64_t n = p->n, chunk = p->chunk;
    const int64_t nch = (n + chunk - 1) / chunk;
    if (nch <= 64) {
        const int64_t lo = nch * index / threads, hi = nch * (index + 1) / threads;
        for (int64_t c = lo; c < hi; ++c)
            if (claim(p, c)) p->fn(p->arg, c * chunk, c + 1 == nch ? n : (c + 1) * chunk);
#if SDK_PROFILE
        if (g_static > 0) return;
#endif
        for (int64_t c = nch - 1; c >= 0; --c)
            if ((c < lo || c >= hi) && claim(p, c)) p->fn(p->arg, c * chunk, c + 1 == nch ? n : (c + 1) * chunk);
        return;
    }
    for (;;) {
        int64_t begin = __atomic_fetch_add(&p->next, chunk, __ATOMIC_RELAXED);
        if (begin >= n) return;
        int64_t end = begin + chunk < n ? begin + chunk : n;
        p->fn(p->arg, begin, end);
    }
}

// Wakes every sleeping worker. The broadcast comes after the unlock: a worker woken while
// the caller still held `mu` blocked on it at once (a second futex sleep and wake per
// worker at the start of every run after an idle period). Taking and releasing `mu` first
// still closes the race with a worker between its sleepers++ and its condvar wait (it
// holds `mu` until the wait releases it).
void wake_sleepers(Crew* p) {
    if (__atomic_load_n(&p->sleepers, __ATOMIC_SEQ_CST) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_mutex_unlock(&p->mu);
        pthread_cond_broadcast(&p->work_cv);
    }
}

struct WorkerStart {
    Crew* crew;
    int index;
};

// Waits for a generation other than `seen` (or stop): spin first, then the condvar.
// Returns the new generation, or 0 when the crew stops. While a run is in progress
// (pool_set_running) a worker spins without a deadline, so an op that does not split (or a
// slow one on the caller) never sends it to sleep mid-run; a run that starts wakes sleeping
// workers at once (they then spin), so the wake-up latency of an idle core overlaps the
// run's first ops instead of stalling its first parallel job.
uint64_t wait_for_job(Crew* p, uint64_t seen) {
spin:
    int64_t deadline = 0;
    OwnCore own;
    for (int spins = 0;; ++spins) {
        if (__atomic_load_n(&p->stopping, __ATOMIC_ACQUIRE)) return 0;
        uint64_t g = __atomic_load_n(&p->gate, __ATOMIC_ACQUIRE) >> kGenShift;
        if (g != seen) return g;
        cpu_relax();
        if ((spins & 15) == 15) {
            // Look at the clock (vDSO: cheap but not free); let a runnable thread have the
            // core when this one has no business holding it (OwnCore).
            const int64_t t = now_ns();
            if (own.done(t) || on_callers_cpu(p)) sched_yield();
            if (__atomic_load_n(&p->running, __ATOMIC_ACQUIRE)) {
                deadline = 0;  // the idle countdown starts when the run ends
                continue;
            }
            if (!deadline) deadline = t + kSpinNs;
            else if (t >= deadline) break;
        }
    }
    // Sleep. sleepers++ (seq_cst) before re-reading generation pairs with the caller's
    // new gate (seq_cst) before reading sleepers: either we see the new job, or the
    // caller sees us and takes mu (which we hold until cond_wait releases it) before its
    // broadcast.
    pthread_mutex_lock(&p->mu);
    __atomic_add_fetch(&p->sleepers, 1, __ATOMIC_SEQ_CST);
    uint64_t g;
    while ((g = __atomic_load_n(&p->gate, __ATOMIC_SEQ_CST) >> kGenShift) == seen &&
           !__atomic_load_n(&p->stopping, __ATOMIC_SEQ_CST) && !__atomic_load_n(&p->running, __ATOMIC_SEQ_CST))
        pthread_cond_wait(&p->work_cv, &p->mu);
    __atomic_sub_fetch(&p->sleepers, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&p->mu);
    if (__atomic_load_n(&p->stopping, __ATOMIC_ACQUIRE)) return 0;
    if (g == seen) goto spin;  // woken for a run that starts: spin until its first job
    return g;
}

void* worker_main(void* arg) {
    Crew* p = static_cast<WorkerStart*>(arg)->crew;
    const uintptr_t index = static_cast<uintptr_t>(static_cast<WorkerStart*>(arg)->index);
    // a worker whose index cannot be set would share the caller's scratch: it sits the jobs out
    const bool can_work = pthread_setspecific(g_index_key, reinterpret_cast<void*>(index + 1)) == 0;
    uint64_t seen = 0;
    for (;;) {
        seen = wait_for_job(p, seen);
        if (!seen) break;
        // join job `seen` unless its gate closed (the caller took every chunk) or a newer job
        // replaced it (then the wait above returns at once for that one)
        uint64_t cur = __atomic_load_n(&p->gate, __ATOMIC_ACQUIRE);
        bool joined = false;
        while (can_work && !joined && cur >> kGenShift == seen && !(cur & kClosed))
            joined = __atomic_compare_exchange_n(&p->gate, &cur, cur + 1, true, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE);
        if (!joined) continue;
#if SDK_PROFILE
        const int64_t c0 = clock_of(CLOCK_THREAD_CPUTIME_ID);
        run_chunks(p, static_cast<int>(index), p->started + 1);
        g_worker_cpu += clock_of(CLOCK_THREAD_CPUTIME_ID) - c0;
#else
        run_chunks(p, static_cast<int>(index), p->started + 1);
#endif
        __atomic_sub_fetch(&p->gate, 1, __ATOMIC_RELEASE);
    }
    return nullptr;
}

// The crews of the process, one per pool size (g_crews_mu). A handful of sizes at most.
constexpr int kMaxCrews = 8;
Crew* g_crews[kMaxCrews];
pthread_mutex_t g_crews_mu = PTHREAD_MUTEX_INITIALIZER;

Crew* crew_start(int threads) {
    Crew* p = alloc_array<Crew>(1);
    if (!p) return nullptr;
    p->threads = threads;
    p->caller_cpu = -1;
    pthread_mutex_init(&p->mu, nullptr);
    pthread_cond_init(&p->work_cv, nullptr);
    p->workers = alloc_array<pthread_t>(threads - 1);
    WorkerStart* starts = alloc_array<WorkerStart>(threads - 1);
    p->starts = starts;
    for (int i = 0; p->workers && starts && i < threads - 1; ++i) {
        starts[i] = WorkerStart{p, i + 1};
        if (pthread_create(&p->workers[i], nullptr, worker_main, &starts[i]) != 0) break;
        ++p->started;
    }
    return p;
}

void crew_stop(Crew* p) {
    pthread_mutex_lock(&p->mu);
    __atomic_store_n(&p->stopping, true, __ATOMIC_SEQ_CST);
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->started; ++i) pthread_join(p->workers[i], nullptr);
    pthread_cond_destroy(&p->work_cv);
    pthread_mutex_destroy(&p->mu);
    free(p->workers);
    free(p->starts);
    free(p);
}

// pool_set_running: a session run starts (on = 1: sleeping workers wake and spin until its
// first job) or ends. Counted per crew: sessions on other threads may run at the same time.
void run_state(ThreadPool* pool, int on) {
    Crew* p = pool->crew;
    if (!p || on == pool->counted) return;
    pool->counted = on;
    // running (seq_cst) before reading sleepers pairs with the worker's sleepers++ before
    // re-reading running (see wait_for_job)
    __atomic_add_fetch(&p->running, on ? 1 : -1, __ATOMIC_SEQ_CST);
    if (on) wake_sleepers(p);
}

// pool_destroy: the last pool of a crew stops its workers.
void detach(ThreadPool* pool) {
    run_state(pool, 0);
    Crew* p = pool->crew;
    if (!p) return;
    pthread_mutex_lock(&g_crews_mu);
    const bool last = --p->refs == 0;
    if (last)
        for (Crew*& c : g_crews)
            if (c == p) c = nullptr;
    pthread_mutex_unlock(&g_crews_mu);
    if (last) crew_stop(p);
}

// The pool's first parallel job: attach it to the crew of its size (started on first use).
void attach(ThreadPool* pool) {
    pool->stop = detach;
    pool->wake = run_state;
    pthread_mutex_lock(&g_crews_mu);
    Crew** slot = nullptr;
    for (Crew*& c : g_crews) {
        if (c && c->threads == pool->threads) {
            pool->crew = c;
            break;
        }
        if (!c && !slot) slot = &c;
    }
    // no free slot (more than kMaxCrews sizes in use): a crew of its own, never shared
    if (!pool->crew && (pool->crew = crew_start(pool->threads)) && slot) *slot = pool->crew;
    if (pool->crew) ++pool->crew->refs;
    pthread_mutex_unlock(&g_crews_mu);
    // a run in progress counts on the crew from now on (pool_set_running came before attach)
    run_state(pool, pool->in_run);
}

}  // namespace

ThreadPool* pool_create(int threads) {
    // without the index key every worker would see index 0 and share one scratch block
    if (threads <= 1 || !keys_ready()) return nullptr;
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

void pool_set_running(ThreadPool* p, int on) {
    if (!p) return;
    p->in_run = on;
    if (p->wake) p->wake(p, on);  // only once attached to a crew
}

void parallel_for(ThreadPool* pool, int64_t n, int64_t grain, ParallelFn fn, void* arg) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    if (pool && !pool->stop && n >= 2 * grain) attach(pool);  // the first parallel job (see Crew)
    Crew* p = pool ? pool->crew : nullptr;
    // busy is held for the whole job, so a nested call from a callback (caller or worker)
    // and a job of another session sharing the crew run inline
#if SDK_PROFILE
    jobs_open();
    const int64_t w0 = clock_of(CLOCK_MONOTONIC), c0 = clock_of(CLOCK_THREAD_CPUTIME_ID);
#endif
    if (!p || p->started == 0 || n < 2 * grain || __atomic_exchange_n(&p->busy, 1, __ATOMIC_ACQUIRE)) {
        fn(arg, 0, n);
#if SDK_PROFILE
        if (g_jobs)
            fprintf(g_jobs, "job\t%d\tinline\t%lld\t%lld\t%lld\t1\t%lld\t0\t%lld\n", g_profile_node, (long long)n,
                    (long long)grain, (long long)n, (long long)(clock_of(CLOCK_THREAD_CPUTIME_ID) - c0),
                    (long long)(clock_of(CLOCK_MONOTONIC) - w0));
#endif
        return;
    }
#if SDK_PROFILE
    g_worker_cpu = 0;
#endif
    const int64_t threads = static_cast<int64_t>(p->started) + 1;
    // Chunks: one contiguous block per thread when that is all n allows; otherwise ~4 per
    // thread, which balances a late-waking worker or uneven chunks at few extra claims.
    int64_t chunk = (n + threads - 1) / threads;
    if (chunk >= 4 * grain) chunk = (n + 4 * threads - 1) / (4 * threads);
    if (chunk < grain) chunk = grain;
    __atomic_store_n(&p->caller_cpu, this_cpu(), __ATOMIC_RELAXED);
    p->fn = fn;
    p->arg = arg;
    p->n = n;
    p->chunk = chunk;
    __atomic_store_n(&p->next, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&p->claimed, 0, __ATOMIC_RELAXED);
    // publishes the job (see wait_for_job): the next generation, open, nobody inside (the
    // previous job's gate was closed and empty)
    const uint64_t gen = (__atomic_load_n(&p->gate, __ATOMIC_RELAXED) >> kGenShift) + 1;
    __atomic_store_n(&p->gate, gen << kGenShift, __ATOMIC_SEQ_CST);
    wake_sleepers(p);
#if SDK_PROFILE
    const int64_t cc0 = clock_of(CLOCK_THREAD_CPUTIME_ID);
    run_chunks(p, 0, static_cast<int>(threads));
    const int64_t caller_cpu = clock_of(CLOCK_THREAD_CPUTIME_ID) - cc0;
    if (g_static > 0 && (n + chunk - 1) / chunk <= 64) {  // the workers' shares: theirs alone
        const int64_t nch = (n + chunk - 1) / chunk;
        const uint64_t all = nch == 64 ? ~uint64_t(0) : (uint64_t(1) << nch) - 1;
        while ((__atomic_load_n(&p->claimed, __ATOMIC_ACQUIRE) & all) != all) cpu_relax();
    }
#else
    run_chunks(p, 0, static_cast<int>(threads));
#endif
    // Every chunk is done or taken: close the gate, then wait only for the workers inside
    // (running their chunks, so the wait is short); past kOwnNs, yield the core now and then
    // in case one of them was preempted (more threads than free cores).
    __atomic_fetch_or(&p->gate, kClosed, __ATOMIC_SEQ_CST);
    OwnCore own;
    for (int spins = 0; __atomic_load_n(&p->gate, __ATOMIC_ACQUIRE) & kInside; ++spins) {
        cpu_relax();
        if ((spins & 15) == 15 && own.done(now_ns())) sched_yield();
    }
    __atomic_store_n(&p->busy, 0, __ATOMIC_RELEASE);
#if SDK_PROFILE
    if (g_jobs)  // (the worker's CPU summed over every worker: 2 threads are what this is for)
        fprintf(g_jobs, "job\t%d\tpar\t%lld\t%lld\t%lld\t%lld\t%lld\t%lld\t%lld\n", g_profile_node, (long long)n,
                (long long)grain, (long long)chunk, (long long)((n + chunk - 1) / chunk), (long long)caller_cpu,
                (long long)__atomic_load_n(&g_worker_cpu, __ATOMIC_ACQUIRE), (long long)(clock_of(CLOCK_MONOTONIC) - w0));
#endif
}

#else  // !SDK_FEATURE_THREADS

struct ThreadPool {
    int threads;
};

ThreadPool* pool_create(int) { return nullptr; }
void pool_destroy(ThreadPool*) {}
void pool_set_running(ThreadPool*, int) {}
int pool_threads(const ThreadPool*) { return 1; }
void parallel_for(ThreadPool*, int64_t n, int64_t, ParallelFn fn, void* arg) {
    if (n > 0) fn(arg, 0, n);
}

#endif

}  // namespace sdk
