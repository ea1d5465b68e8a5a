/* A small persistent thread pool for mp_parallel_for. Workers are started on first use and then sleep on a
 * condition variable between jobs; tasks are handed out through an atomic counter. One job runs at a time
 * (concurrent callers are serialized), so kernels called from several threads stay correct. */
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

enum { MAX_THREADS = 64 };

typedef struct {
    pthread_mutex_t lock;      /* guards everything below except next_task */
    pthread_cond_t work_ready;
    pthread_cond_t work_done;
    pthread_mutex_t job_lock;  /* serializes callers */
    int started_workers;
    uint64_t generation;
    int active_workers;        /* workers still inside the current job */
    int wanted_workers;        /* workers that join the current job */
    mp_task_fn fn;
    void* ctx;
    int64_t tasks;
    atomic_llong next_task;
} pool_t;

static pool_t pool = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .work_ready = PTHREAD_COND_INITIALIZER,
    .work_done = PTHREAD_COND_INITIALIZER,
    .job_lock = PTHREAD_MUTEX_INITIALIZER,
};

static atomic_int configured_threads = 0; /* 0 = not set yet: use the online CPU count */

static int online_cpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    if (n > MAX_THREADS) n = MAX_THREADS;
    return (int)n;
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

static void run_tasks(void) {
    for (;;) {
        const int64_t t = atomic_fetch_add(&pool.next_task, 1);
        if (t >= pool.tasks) break;
        pool.fn(t, pool.ctx);
    }
}

static void* worker_main(void* arg) {
    const int worker_id = (int)(intptr_t)arg; /* 1-based; the caller is worker 0 */
    uint64_t seen = 0;
    mp_fp_enter(); /* FTZ/DAZ for the worker's whole life */
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        while (pool.generation == seen) pthread_cond_wait(&pool.work_ready, &pool.lock);
        seen = pool.generation;
        if (worker_id >= pool.wanted_workers) continue;
        pthread_mutex_unlock(&pool.lock);
        run_tasks();
        pthread_mutex_lock(&pool.lock);
        if (--pool.active_workers == 0) pthread_cond_signal(&pool.work_done);
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
    if (threads <= 1) {
        for (int64_t t = 0; t < tasks; t++) fn(t, ctx);
        return;
    }
    pthread_mutex_lock(&pool.job_lock);
    pthread_mutex_lock(&pool.lock);
    threads = ensure_workers(threads);
    pool.fn = fn;
    pool.ctx = ctx;
    pool.tasks = tasks;
    atomic_store(&pool.next_task, 0);
    pool.wanted_workers = threads;
    pool.active_workers = threads - 1;
    pool.generation++;
    pthread_cond_broadcast(&pool.work_ready);
    pthread_mutex_unlock(&pool.lock);

    run_tasks();

    pthread_mutex_lock(&pool.lock);
    while (pool.active_workers > 0) pthread_cond_wait(&pool.work_done, &pool.lock);
    pthread_mutex_unlock(&pool.lock);
    pthread_mutex_unlock(&pool.job_lock);
}
