/* Shared by every kernel file: error reporting, argument checks and ISA dispatch. Not installed. */
#ifndef MEPROP_INTERNAL_H
#define MEPROP_INTERNAL_H

#include "meprop.h"
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Records a printf-style message for mp_last_error() and returns status. */
mp_status mp_fail(mp_status status, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Clears the thread's last error and returns MP_OK. */
mp_status mp_ok(void);

/* 1 when the AVX2+FMA kernels are selected (by MP_ISA_AUTO on a capable CPU, or forced). */
int mp_use_avx2(void);

/* Argument checks: each returns from the calling function with MP_ERR_INVALID_ARGUMENT and a message
 * naming the function, the argument and its value. `MP_FN` must be defined as the function's name. */
#define MP_CHECK_PTR(p)                                                                                  \
    do { if ((p) == NULL) return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: %s is NULL", MP_FN, #p); } while (0)
#define MP_CHECK_POSITIVE(v)                                                                             \
    do { if ((v) < 1) return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: %s = %lld must be >= 1", MP_FN, #v,   \
                                     (long long)(v)); } while (0)
#define MP_CHECK_LD(ld, cols)                                                                            \
    do { if ((ld) < (cols)) return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: %s = %lld is less than %s = %lld", \
                                           MP_FN, #ld, (long long)(ld), #cols, (long long)(cols)); } while (0)
#define MP_CHECK_K(k, n)                                                                                 \
    do { if ((k) < 1 || (k) > (n)) return mp_fail(MP_ERR_INVALID_ARGUMENT,                               \
                                  "%s: k = %lld is out of range [1, %s = %lld]", MP_FN, (long long)(k), #n,  \
                                  (long long)(n)); } while (0)
/* A float in [0, 1) (a dropout rate, a decay); NaN is not. */
#define MP_CHECK_UNIT_INTERVAL(v)                                                                        \
    do { if (!((v) >= 0.0f && (v) < 1.0f)) return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: %s = %g must be in [0, 1)", \
                                                         MP_FN, #v, (double)(v)); } while (0)
#define MP_CHECK_INT32_RANGE(v)                                                                          \
    do { if ((v) > INT32_MAX) return mp_fail(MP_ERR_INVALID_ARGUMENT,                                    \
                                  "%s: %s = %lld exceeds the int32 index range", MP_FN, #v, (long long)(v)); } while (0)
#define MP_CHECK_WORKSPACE(ws, have, need)                                                               \
    do { if ((need) > 0 && (ws) == NULL) return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: workspace is NULL (%lld bytes needed)", \
                                                      MP_FN, (long long)(need));                        \
         if ((have) < (need)) return mp_fail(MP_ERR_WORKSPACE_TOO_SMALL,                                  \
                                  "%s: workspace_bytes = %lld is less than the %lld bytes needed", MP_FN,   \
                                  (long long)(have), (long long)(need)); } while (0)

/* Scoped flush-to-zero / denormals-are-zero for the calling thread (restored on exit). */
typedef struct { unsigned int saved; } mp_fp_mode;
mp_fp_mode mp_fp_enter(void);
void mp_fp_leave(mp_fp_mode saved);

/* Runs fn(task, ctx) for every task in [0, tasks) on up to mp_get_num_threads() threads (the caller's thread
 * included) and returns when all are done. Workers run with FTZ/DAZ. Tasks must write disjoint outputs. Tasks are
 * started in increasing order, so a task may wait (mp_wait_until_set) for a flag that a lower-numbered task sets. */
typedef void (*mp_task_fn)(int64_t task, void* ctx);
void mp_parallel_for(int64_t tasks, mp_task_fn fn, void* ctx);

#ifndef __cplusplus /* C11 atomics; the CUDA sources (C++) do not use it */
#include <stdatomic.h>
/* Spins until *flag is nonzero (acquire), yielding now and then so that a preempted setter gets to run. */
void mp_wait_until_set(atomic_int* flag);
#endif

#ifdef __cplusplus
}
#endif

#endif
