/* A small persistent thread pool for mp_parallel_for. Workers are started on first use. Between jobs a worker
 * spins briefly on the job generation (so back-to-back kernels, e.g. the GEMMs of one training step, hand over
 * in well under a microsecond) and then sleeps on a condition variable (so an idle library burns no CPU).
 * Tasks are claimed through an atomic counter, so whoever is awake first does the work: the caller never
 * waits for a slow-to-wake worker that has nothing left to do. One job runs at a time (concurrent callers are
 * serialized); a task that itself calls mp_parallel_for runs its tasks inline.
 *
 * Job hand-over (all atomics sequentially consistent):
 *   generation even = job generation/2 is posted; odd = the poster is rewriting the job fields.
 *   A worker registers in `inside`, then re-reads generation: the poster sets it odd and waits for
 *   inside == 0 before touching the fields, so a registered worker that still sees its even generation reads
 *   stable fields. A worker that claims no task never touches ctx, so the caller may return as soon as
 *   done == tasks, even while late workers are still registered. */
#include "internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MP_PAUSE() _mm_pause()
#else
#define MP_PAUSE() ((void)0)
#endif

enum { MAX_THREADS = 64 };

/* How long an idle worker spins before it sleeps, and how long the caller spins for unfinished tasks. */
static const double WORKER_SPIN_SECONDS = 100e-6;
static const double CALLER_SPIN_SECONDS = 2e-3;

typedef struct {
    pthread_mutex_t lock; /* sleeping and waking only */
    pthread_cond_t work_ready;
    pthread_cond_t work_done;
    pthread_mutex_t job_lock; /* serializes callers; guards started_workers */
    int started_workers;
    atomic_ullong generation;
    atomic_int inside;          /* workers registered in the current job */
    atomic_int sleepers;        /* workers blocked on work_ready */
    atomic_int caller_sleeping; /* the caller is blocked on work_done */
    /* Job fields: written only while generation is odd and inside == 0. */
    mp_task_fn fn;
    void* ctx;
    int64_t tasks;
    int wanted_workers; /* workers 1 .. wanted_workers join the job */
    atomic_llong next_task;
    atomic_llong done;
} pool_t;

static pool_t pool = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .work_ready = PTHREAD_COND_INITIALIZER,
    .work_done = PTHREAD_COND_INITIALIZER,
    .job_lock = PTHREAD_MUTEX_INITIALIZER,
};

static atomic_int configured_threads = 0; /* 0 = not set yet: use the online CPU count */
static _Thread_local int in_pool_task;    /* this thread is running a task: nested jobs run inline */

/* The online CPU count, read once: sysconf(_SC_NPROCESSORS_ONLN) reads /sys on every call (about 6 us in a VM), and
 * the kernels ask for the thread count on every call. */
static int online_cpus(void) {
    static atomic_int cached = 0;
    int n = atomic_load_explicit(&cached, memory_order_relaxed);
    if (n > 0) return n;
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    n = online < 1 ? 1 : online > MAX_THREADS ? MAX_THREADS : (int)online;
    atomic_store_explicit(&cached, n, memory_order_relaxed);
    return n;
}

#define MP_FN "mp_set_num_threads"
mp_status mp_set_num_threads(int32_t threads) {
    if (threads < 1 || threads > MAX_THREADS)
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: threads = %d is out of range [1, %d]", MP_FN, threads, MAX_THREADS);
    atomic_store(&configured_threads, threads);
    return mp_ok();
}
#undef MP_FN

int32_t mp_get_num_threads(void) {
    const int t = atomic_load(&configured_threads);
    return t > 0 ? t : online_cpus();
}

static double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Claims and runs tasks until none is left; wakes a sleeping caller after the last one. */
static void run_tasks(void) {
    const int64_t tasks = pool.tasks;
    for (;;) {
        const int64_t t = atomic_fetch_add(&pool.next_task, 1);
        if (t >= tasks) break;
        pool.fn(t, pool.ctx);
        if (atomic_fetch_add(&pool.done, 1) + 1 == tasks && atomic_load(&pool.caller_sleeping)) {
            pthread_mutex_lock(&pool.lock);
            pthread_cond_signal(&pool.work_done);
            pthread_mutex_unlock(&pool.lock);
        }
    }
}

void mp_wait_until_set(atomic_int* flag) {
    for (unsigned spins = 1; atomic_load_explicit(flag, memory_order_acquire) == 0; spins++) {
        MP_PAUSE();
        if ((spins & 1023) == 0) sched_yield();
    }
}

static int is_new_job(uint64_t g, uint64_t seen) { return g != seen && (g & 1) == 0; }

/* Waits for a posted generation other than `seen`: spins first, then sleeps. */
static uint64_t wait_for_job(uint64_t seen) {
    const double deadline = seconds_now() + WORKER_SPIN_SECONDS;
    for (unsigned spins = 1;; spins++) {
        const uint64_t g = atomic_load(&pool.generation);
        if (is_new_job(g, seen)) return g;
        MP_PAUSE();
        if ((spins & 127) == 0 && seconds_now() > deadline) break;
    }
    pthread_mutex_lock(&pool.lock);
    atomic_fetch_add(&pool.sleepers, 1);
    uint64_t g;
    while (!is_new_job(g = atomic_load(&pool.generation), seen)) pthread_cond_wait(&pool.work_ready, &pool.lock);
    atomic_fetch_sub(&pool.sleepers, 1);
    pthread_mutex_unlock(&pool.lock);
    return g;
}

static void* worker_main(void* arg) {
    const int worker_id = (int)(intptr_t)arg; /* 1-based; the caller is worker 0 */
    uint64_t seen = 0;
    mp_fp_enter(); /* FTZ/DAZ for the worker's whole life */
    in_pool_task = 1;
    for (;;) {
        const uint64_t g = wait_for_job(seen);
        seen = g;
        atomic_fetch_add(&pool.inside, 1);
        if (atomic_load(&pool.generation) == g && worker_id <= pool.wanted_workers) run_tasks();
        atomic_fetch_sub(&pool.inside, 1);
    }
    return NULL;
}

static int ensure_workers(int wanted) {
    while (pool.started_workers < wanted - 1) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        const int rc = pthread_create(&thread, &attr, worker_main, (void*)(intptr_t)(pool.started_workers + 1));
        pthread_attr_destroy(&attr);
        if (rc != 0) break;
        pool.started_workers++;
    }
    return pool.started_workers + 1;
}

void mp_parallel_for(int64_t tasks, mp_task_fn fn, void* ctx) {
    if (tasks <= 0) return;
    int threads = mp_get_num_threads();
    if (threads > tasks) threads = (int)tasks;
    if (threads <= 1 || in_pool_task) {
        for (int64_t t = 0; t < tasks; t++) fn(t, ctx);
        return;
    }
    pthread_mutex_lock(&pool.job_lock);
    threads = ensure_workers(threads);

    /* Close the previous job: odd generation, then wait out workers still registered in it. */
    const uint64_t odd = atomic_load(&pool.generation) + 1;
    atomic_store(&pool.generation, odd);
    for (unsigned spins = 1; atomic_load(&pool.inside) != 0; spins++) {
        MP_PAUSE();
        if ((spins & 1023) == 0) sched_yield(); /* a registered worker was preempted */
    }
    pool.fn = fn;
    pool.ctx = ctx;
    pool.tasks = tasks;
    pool.wanted_workers = threads - 1;
    atomic_store(&pool.next_task, 0);
    atomic_store(&pool.done, 0);
    atomic_store(&pool.generation, odd + 1);
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.work_ready);
        pthread_mutex_unlock(&pool.lock);
    }

    in_pool_task = 1;
    run_tasks();
    in_pool_task = 0;

    if (atomic_load(&pool.done) != tasks) {
        const double deadline = seconds_now() + CALLER_SPIN_SECONDS;
        for (unsigned spins = 1; atomic_load(&pool.done) != tasks; spins++) {
            MP_PAUSE();
            if ((spins & 127) == 0 && seconds_now() > deadline) break;
        }
        if (atomic_load(&pool.done) != tasks) {
            pthread_mutex_lock(&pool.lock);
            atomic_store(&pool.caller_sleeping, 1);
            while (atomic_load(&pool.done) != tasks) pthread_cond_wait(&pool.work_done, &pool.lock);
            atomic_store(&pool.caller_sleeping, 0);
            pthread_mutex_unlock(&pool.lock);
        }
    }
    pthread_mutex_unlock(&pool.job_lock);
}
