/* Random-k (the paper's control): k distinct columns uniformly at random, ascending.
 *
 * Stream of a row: SplitMix64 started from mix(seed ^ mix(row ^ tag)), where row = first_row + r for
 * mp_randk_rows and the unified stream has its own tag, so every row's pattern is a pure function of
 * (seed, row) and does not depend on how a batch is split. Integers below m come from Lemire's multiply-shift
 * with rejection (exactly uniform). A partial Fisher-Yates shuffle of 0..n-1 in the int32 workspace picks the
 * k columns; they are sorted by insertion (k <= 64) or through a bitmap laid over the workspace. The same code
 * serves both ISAs (integer work only). */
#include "kernels.h"

#define GOLDEN 0x9E3779B97F4A7C15ull
#define ROW_TAG 0x243F6A8885A308D3ull
#define UNIFIED_TAG 0x13198A2E03707344ull

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef struct {
    uint64_t state;
} splitmix;

static uint64_t next64(splitmix* g) {
    g->state += GOLDEN;
    return mix64(g->state);
}

/* Uniform in [0, m), 1 <= m <= 2^31 - 1. */
static uint32_t below(splitmix* g, uint32_t m) {
    uint64_t prod = (uint64_t)(uint32_t)(next64(g) >> 32) * m;
    uint32_t low = (uint32_t)prod;
    if (low < m) {
        const uint32_t reject_below = (uint32_t)(0u - m) % m;
        while (low < reject_below) {
            prod = (uint64_t)(uint32_t)(next64(g) >> 32) * m;
            low = (uint32_t)prod;
        }
    }
    return (uint32_t)(prod >> 32);
}

/* k distinct ascending columns of [0, n) into idx; ws holds n int32. */
static void randk_one(int64_t n, int64_t k, uint64_t stream, int32_t* idx, int32_t* ws) {
    if (k == n) {
        for (int64_t j = 0; j < n; j++) idx[j] = (int32_t)j;
        return;
    }
    splitmix g = {stream};
    for (int64_t i = 0; i < n; i++) ws[i] = (int32_t)i;
    for (int64_t j = 0; j < k; j++) {
        const int64_t u = j + (int64_t)below(&g, (uint32_t)(n - j));
        const int32_t t = ws[j];
        ws[j] = ws[u];
        ws[u] = t;
    }
    if (k <= 64) {
        for (int64_t j = 0; j < k; j++) {
            const int32_t v = ws[j];
            int64_t i = j;
            while (i > 0 && idx[i - 1] > v) {
                idx[i] = idx[i - 1];
                i--;
            }
            idx[i] = v;
        }
        return;
    }
    for (int64_t j = 0; j < k; j++) idx[j] = ws[j];
    uint32_t* bits = (uint32_t*)ws; /* (n + 31) / 32 <= n words */
    const int64_t words = (n + 31) / 32;
    for (int64_t w = 0; w < words; w++) bits[w] = 0;
    for (int64_t j = 0; j < k; j++) bits[(uint32_t)idx[j] >> 5] |= 1u << ((uint32_t)idx[j] & 31);
    int64_t out = 0;
    for (int64_t w = 0; w < words; w++) {
        uint32_t b = bits[w];
        while (b != 0) {
            idx[out++] = (int32_t)(w * 32 + __builtin_ctz(b));
            b &= b - 1;
        }
    }
}

static uint64_t row_stream(uint64_t seed, uint64_t row, uint64_t tag) { return mix64(seed ^ mix64(row ^ tag)); }

#define MP_FN "mp_randk_workspace_size"
mp_status mp_randk_workspace_size(int64_t n, int64_t k, int64_t* bytes) {
    MP_CHECK_PTR(bytes);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_INT32_RANGE(n);
    MP_CHECK_K(k, n);
    *bytes = n * (int64_t)sizeof(int32_t);
    return mp_ok();
}
#undef MP_FN

#define MP_FN "mp_randk_rows"
mp_status mp_randk_rows(int64_t rows, int64_t n, int64_t k, uint64_t seed, int64_t first_row, int32_t* idx,
                        int64_t ldi, void* workspace, int64_t workspace_bytes) {
    MP_CHECK_PTR(idx);
    MP_CHECK_POSITIVE(rows);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_INT32_RANGE(n);
    MP_CHECK_K(k, n);
    MP_CHECK_LD(ldi, k);
    if (first_row < 0)
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: first_row = %lld must be >= 0", MP_FN, (long long)first_row);
    MP_CHECK_WORKSPACE(workspace, workspace_bytes, n * (int64_t)sizeof(int32_t));
    for (int64_t r = 0; r < rows; r++)
        randk_one(n, k, row_stream(seed, (uint64_t)first_row + (uint64_t)r, ROW_TAG), idx + r * ldi, (int32_t*)workspace);
    return mp_ok();
}
#undef MP_FN

#define MP_FN "mp_randk_unified"
mp_status mp_randk_unified(int64_t n, int64_t k, uint64_t seed, int32_t* idx, void* workspace,
                           int64_t workspace_bytes) {
    MP_CHECK_PTR(idx);
    MP_CHECK_POSITIVE(n);
    MP_CHECK_INT32_RANGE(n);
    MP_CHECK_K(k, n);
    MP_CHECK_WORKSPACE(workspace, workspace_bytes, n * (int64_t)sizeof(int32_t));
    randk_one(n, k, row_stream(seed, 0, UNIFIED_TAG), idx, (int32_t*)workspace);
    return mp_ok();
}
#undef MP_FN
