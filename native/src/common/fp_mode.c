/* Denormal floats cost ~100x on x86 when they reach an arithmetic unit. Gradients of a trained network
 * underflow routinely, so every kernel runs with FTZ (results that would be denormal become 0) and
 * DAZ (denormal inputs read as 0). The caller's MXCSR is restored on exit. */
#include "internal.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

enum { MXCSR_FTZ = 1u << 15, MXCSR_DAZ = 1u << 6 };

mp_fp_mode mp_fp_enter(void) {
    mp_fp_mode mode = { _mm_getcsr() };
    _mm_setcsr(mode.saved | MXCSR_FTZ | MXCSR_DAZ);
    return mode;
}

void mp_fp_leave(mp_fp_mode mode) { _mm_setcsr(mode.saved); }
#else
mp_fp_mode mp_fp_enter(void) { mp_fp_mode mode = { 0 }; return mode; }
void mp_fp_leave(mp_fp_mode mode) { (void)mode; }
#endif
