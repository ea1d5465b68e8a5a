#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[512];

mp_status mp_fail(mp_status status, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, args);
    va_end(args);
    return status;
}

mp_status mp_ok(void) {
    last_error[0] = '\0';
    return MP_OK;
}

const char* mp_last_error(void) { return last_error; }
