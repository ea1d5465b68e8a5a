/* Top-k of one row, plain C reference: keys into the workspace, MSD radix select (8-bit digits) for the
 * threshold key T = the k-th largest key, then one pass in index order that takes every key > T and the first
 * (k - #{key > T}) keys == T, which yields the indices ascending with ties to the lower index. O(n). */
#include "kernels.h"

#include <string.h>

static uint32_t key_of(const float* p) {
    uint32_t bits;
    memcpy(&bits, p, sizeof bits);
    return bits & 0x7fffffffu;
}

int64_t mp_topk_row_workspace_bytes(int64_t n) {
    /* AVX2 family: three arrays of n + 64 uint32 (candidate keys, candidate indices, select scratch), each
     * rounded to 64 bytes, plus 64 bytes of alignment slack. The scalar family uses the first array only. */
    const int64_t array_bytes = ((n + 64) * 4 + 63) / 64 * 64;
    return 3 * array_bytes + 64;
}

void mp_topk_row_scalar(const float* x, int64_t n, int64_t k, int32_t* idx, float* val, void* ws) {
    uint32_t* keys = (uint32_t*)(((uintptr_t)ws + 63) & ~(uintptr_t)63);
    for (int64_t i = 0; i < n; i++) keys[i] = key_of(x + i);

    int64_t alive = n;  /* keys[0..alive) share the digits chosen so far */
    int64_t rank = k;   /* T is the rank-th largest of them */
    int64_t above = 0;  /* keys of the row known to be > T */
    for (int shift = 24; shift >= 0 && alive > 1; shift -= 8) {
        int64_t hist[256];
        for (int d = 0; d < 256; d++) hist[d] = 0;
        for (int64_t i = 0; i < alive; i++) hist[(keys[i] >> shift) & 255]++;
        int d = 255;
        while (hist[d] < rank) {
            rank -= hist[d];
            above += hist[d];
            d--;
        }
        int64_t kept = 0;
        for (int64_t i = 0; i < alive; i++)
            if ((int)((keys[i] >> shift) & 255) == d) keys[kept++] = keys[i];
        alive = kept;
    }
    /* All alive keys are equal to T except when one was left early; then it is T. */
    const uint32_t threshold = keys[0];
    int64_t equal_left = k - above;

    int64_t out = 0;
    for (int64_t i = 0; i < n && out < k; i++) {
        const uint32_t key = key_of(x + i);
        int take = key > threshold;
        if (key == threshold && equal_left > 0) {
            take = 1;
            equal_left--;
        }
        if (take) {
            idx[out] = (int32_t)i;
            if (val != NULL) val[out] = x[i];
            out++;
        }
    }
}
