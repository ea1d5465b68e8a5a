/* Index validation shared by the gather/scatter and sparse-backward entry points. Runs before any output is
 * written, so a bad index leaves the outputs untouched. */
#include "kernels.h"

#include <stdlib.h>

/* First position j < k with idx[j] outside [0, limit), or -1. A branch-free scan (vectorizable) finds out whether
 * there is one; only then is it located. */
static int64_t first_out_of_range(const int32_t* idx, int64_t k, int64_t limit) {
    const uint32_t lim = limit > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)limit; /* negatives wrap above */
    uint32_t bad = 0;
    for (int64_t j = 0; j < k; j++) bad |= (uint32_t)idx[j] >= lim;
    if (!bad) return -1;
    for (int64_t j = 0; j < k; j++)
        if ((uint32_t)idx[j] >= lim) return j;
    return -1;
}

mp_status mp_check_indices_1d(const char* fn, const int32_t* idx, int64_t k, int64_t limit, const char* limit_name) {
    const int64_t j = first_out_of_range(idx, k, limit);
    if (j >= 0)
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: idx[%lld] = %d is out of range [0, %s = %lld)", fn, (long long)j,
                       idx[j], limit_name, (long long)limit);
    return MP_OK;
}

mp_status mp_check_indices_2d(const char* fn, const int32_t* idx, int64_t rows, int64_t ldi, int64_t k,
                              int64_t limit, const char* limit_name) {
    for (int64_t r = 0; r < rows; r++) {
        const int64_t j = first_out_of_range(idx + r * ldi, k, limit);
        if (j >= 0)
            return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: idx[%lld, %lld] = %d is out of range [0, %s = %lld)", fn,
                           (long long)r, (long long)j, idx[r * ldi + j], limit_name, (long long)limit);
    }
    return MP_OK;
}

/* Names the first repeated index of row r (slow; error path only). */
static mp_status duplicate(const char* fn, const int32_t* row, int64_t r, int64_t k) {
    for (int64_t j = 1; j < k; j++)
        for (int64_t i = 0; i < j; i++)
            if (row[i] == row[j])
                return mp_fail(MP_ERR_INVALID_ARGUMENT,
                               "%s: idx[%lld, %lld] = %d repeats idx[%lld, %lld] (indices must be distinct per row)", fn,
                               (long long)r, (long long)j, row[j], (long long)r, (long long)i);
    return mp_fail(MP_ERR_INTERNAL, "%s: duplicate check of row %lld is inconsistent", fn, (long long)r);
}

enum { SMALL_K = 32, STACK_BITMAP_WORDS = 1024 }; /* a stack bitmap covers n <= 65536 */

mp_status mp_check_indices_2d_distinct(const char* fn, const int32_t* idx, int64_t rows, int64_t ldi, int64_t k,
                                       int64_t limit, const char* limit_name) {
    const mp_status st = mp_check_indices_2d(fn, idx, rows, ldi, k, limit, limit_name);
    if (st != MP_OK) return st;
    uint64_t stack_bits[STACK_BITMAP_WORDS];
    uint64_t* bits = NULL; /* n bits, all clear between rows; set up on the first row that needs it */
    mp_status result = MP_OK;
    for (int64_t r = 0; r < rows && result == MP_OK; r++) {
        const int32_t* row = idx + r * ldi;
        uint32_t descending = 0; /* the top-k and random-k patterns are ascending: distinct (branch-free scan) */
        for (int64_t j = 1; j < k; j++) descending |= row[j] <= row[j - 1];
        if (!descending) continue;
        int64_t j;
        if (k <= SMALL_K) {
            for (j = 1; j < k; j++)
                for (int64_t i = 0; i < j; i++)
                    if (row[i] == row[j]) return duplicate(fn, row, r, k);
            continue;
        }
        if (bits == NULL) {
            const size_t words = (size_t)((limit + 63) / 64);
            if (words <= STACK_BITMAP_WORDS) {
                bits = stack_bits;
            } else {
                bits = (uint64_t*)malloc(words * sizeof(uint64_t));
                if (bits == NULL)
                    return mp_fail(MP_ERR_OUT_OF_MEMORY, "%s: no memory for the duplicate-index check (%lld bytes)", fn,
                                   (long long)(words * sizeof(uint64_t)));
            }
            for (size_t w = 0; w < words; w++) bits[w] = 0;
        }
        int64_t dup = -1;
        for (j = 0; j < k; j++) {
            const uint32_t v = (uint32_t)row[j];
            const uint64_t bit = (uint64_t)1 << (v & 63);
            if (bits[v >> 6] & bit) { dup = j; break; }
            bits[v >> 6] |= bit;
        }
        for (int64_t i = 0; i < (dup >= 0 ? dup : k); i++) bits[(uint32_t)row[i] >> 6] = 0; /* clear for the next row */
        if (dup >= 0) result = duplicate(fn, row, r, k);
    }
    if (bits != NULL && bits != stack_bits) free(bits);
    return result;
}
