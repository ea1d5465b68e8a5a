/* The hyperparameter check of the optimizer steps, shared by the CPU (src/cpu/optimizer.c) and CUDA
 * (src/cuda/optimizer.cu) versions so both report the same messages. Every test is written so that NaN fails it.
 * Not installed. */
#ifndef MEPROP_OPTIMIZER_CHECK_H
#define MEPROP_OPTIMIZER_CHECK_H

#include "internal.h"
#include <math.h>

static inline mp_status mp_check_hyperparameter(const char* fn, const char* name, float value, int ok, const char* rule) {
    if (ok) return MP_OK;
    if (isnan(value)) return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: %s = NaN must be %s", fn, name, rule); /* any sign */
    return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: %s = %g must be %s", fn, name, (double)value, rule);
}

/* The rate (step_size or lr) and the gradient transform every step applies first. */
static inline mp_status mp_check_step(const char* fn, const char* rate_name, float rate, float grad_scale, float l2,
                                      float clip) {
    mp_status st = mp_check_hyperparameter(fn, rate_name, rate, isfinite(rate), "finite");
    if (st == MP_OK) st = mp_check_hyperparameter(fn, "grad_scale", grad_scale, isfinite(grad_scale), "finite");
    if (st == MP_OK) st = mp_check_hyperparameter(fn, "l2", l2, isfinite(l2) && l2 >= 0.0f, "finite and >= 0");
    if (st == MP_OK) st = mp_check_hyperparameter(fn, "clip", clip, isfinite(clip) && clip >= 0.0f, "finite and >= 0 (0: no clipping)");
    return st;
}

/* A decay (beta1, beta2, momentum): in [0, 1). */
static inline mp_status mp_check_decay(const char* fn, const char* name, float value) {
    return mp_check_hyperparameter(fn, name, value, value >= 0.0f && value < 1.0f, "in [0, 1)");
}

/* The epsilon of a denominator: finite and > 0, so that a zero state cannot divide by zero. */
static inline mp_status mp_check_epsilon(const char* fn, float eps) {
    return mp_check_hyperparameter(fn, "eps", eps, isfinite(eps) && eps > 0.0f, "finite and > 0");
}

#endif
