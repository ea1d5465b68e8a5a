/* Top-k of one row, AVX2. Exact: the same indices as topk_scalar.c, found on integer keys
 * (key = IEEE bits & 0x7fffffff orders like |x| with NaN on top; ties go to the lower index).
 *
 *  1. A bound lo (and for k > n/4 a band [lo, hi)) around the k-th largest key T:
 *     - short rows (n < 4096), k <= 64: split the row into 64 interleaved groups (8 vector lanes x 8
 *       accumulators); lo = min over the lanes of the ceil(k/8)-th largest group max key of the lane. The groups
 *       above it hold >= k distinct elements with key >= lo, so T >= lo: guaranteed, and ~2.5k candidates at
 *       n = 500, k = 20.
 *     - long rows (n >= 2048): a systematic sample of s ~ 0.6 n^(2/3) keys (8-key chunks, prefetched one row
 *       ahead); lo and hi are the sample's order statistics 2 standard deviations of the sample count around
 *       k/n. A wrong guess (~1% of rows) is detected from the counts and repaired with one more pass (with a
 *       4.5-deviation lo from the same sample; every element only if that fails too).
 *     - otherwise lo = 0 (every element is a candidate).
 *  2. One pass compares the keys with the bound and left-packs the survivors (AVX2 has no compress
 *     instruction). Without hi: the indices of every key >= lo, in index order, and their raw values. When the
 *     sample expects <= 1 survivor per 16 elements (k up to ~2% of n) the pass is "sparse": one 64-bit mask per
 *     64 elements (four compares packed to bytes, one movemask per 32), whose bits are written out as indices
 *     by bit scans (the first unconditionally), so the typical block costs no table and no permute; the
 *     few survivors' values are gathered after. Otherwise movemask + a 256-entry lane permutation table per
 *     vector packs indices (base + table entry) and raw values (lane permute) together. With hi: the keys in
 *     [lo, hi) while counting the keys >= hi.
 *  3. Exact select of T among the survivors: a small rank from the top first drops every key below a group-max
 *     bound; then rounds count the keys against 7 thresholds spread over their [min, max] and left-pack the
 *     bucket that holds the wanted rank (the range shrinks 8x per round), and a brute-force rank count at <= 16.
 *  4. Emit every key > T and the first (k - #{key > T}) keys == T in index order, left-packed straight into
 *     idx: from the candidate list (no hi: indices and raw values packed by one table permutation) or by a
 *     second pass over the row (with hi), values by lane permute.
 * Stores into idx/val never go past k (the last partial vector is a masked store). */
#include "kernels.h"

#include <immintrin.h>
#include <string.h>

#define KEY_MASK 0x7fffffff
#define NO_HI ((int64_t)1 << 31) /* hi bound "above every key" */

typedef struct {
    uint32_t t;  /* the rank-th largest key */
    int64_t gt;  /* keys > t */
    int64_t eq;  /* keys == t */
} kth_result;

static inline __m256i lane_iota(void) { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }

static inline __m256i load_keys(const float* p) {
    return _mm256_and_si256(_mm256_loadu_si256((const __m256i*)p), _mm256_set1_epi32(KEY_MASK));
}

/* Mask of the first `count` (0..8) lanes. */
static inline __m256i first_lanes(int64_t count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), lane_iota());
}

/* Keys of the last count (< 8) elements; lanes past the end read as -1, below every bound. Never reads past
 * the row. */
static inline __m256i load_keys_tail(const float* p, int64_t count, __m256i* raw) {
    const __m256i valid = first_lanes(count);
    *raw = _mm256_maskload_epi32((const int*)p, valid);
    return _mm256_or_si256(_mm256_and_si256(*raw, _mm256_set1_epi32(KEY_MASK)), _mm256_andnot_si256(valid, _mm256_set1_epi32(-1)));
}

static inline int lane_bits(__m256i mask) { return _mm256_movemask_ps(_mm256_castsi256_ps(mask)); }

static inline __m256i compress_perm(int bits) { return _mm256_load_si256((const __m256i*)mp_compress_lut[bits]); }

static inline int64_t hsum_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

static inline uint32_t hmin_epu32(__m256i v) {
    __m128i s = _mm_min_epu32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_min_epu32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_min_epu32(s, _mm_shuffle_epi32(s, 0xb1));
    return (uint32_t)_mm_cvtsi128_si32(s);
}

static inline uint32_t hmax_epi32(__m256i v) {
    __m128i s = _mm_max_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_max_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_max_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return (uint32_t)_mm_cvtsi128_si32(s);
}

static inline int64_t round8(int64_t m) { return (m + 7) & ~(int64_t)7; }

/* ---- exact select on a padded key array ------------------------------------------------------------------
 * keys[0..m): keys; keys[m..round8(m)) hold -1 (0xffffffff), which no threshold counts; room for 8 more. */

static kth_result brute_kth(const uint32_t* keys, int64_t m, int64_t rank, int64_t gt_before) {
    const __m256i v0 = _mm256_loadu_si256((const __m256i*)keys);
    const __m256i v1 = m > 8 ? _mm256_loadu_si256((const __m256i*)(keys + 8)) : _mm256_set1_epi32(-1);
    for (int64_t i = 0; i < m; i++) {
        const __m256i q = _mm256_set1_epi32((int)keys[i]);
        const int64_t gt = __builtin_popcount(lane_bits(_mm256_cmpgt_epi32(v0, q))) +
                           __builtin_popcount(lane_bits(_mm256_cmpgt_epi32(v1, q)));
        const int64_t eq = __builtin_popcount(lane_bits(_mm256_cmpeq_epi32(v0, q))) +
                           __builtin_popcount(lane_bits(_mm256_cmpeq_epi32(v1, q)));
        if (gt < rank && rank <= gt + eq) {
            const kth_result r = {keys[i], gt_before + gt, eq};
            return r;
        }
    }
    const kth_result none = {0, gt_before, 0}; /* unreachable for 1 <= rank <= m */
    return none;
}

/* Left-packs, in place, the keys >= lo (padded); returns their number and their min/max. */
static int64_t keep_at_least(uint32_t* keys, int64_t m, uint32_t lo, uint32_t* mn, uint32_t* mx) {
    const __m256i pad = _mm256_set1_epi32(-1), thr = _mm256_set1_epi32((int)lo - 1);
    __m256i vmin = pad, vmax = _mm256_setzero_si256();
    int64_t pos = 0;
    for (int64_t i = 0; i < m; i += 8) {
        const __m256i k = _mm256_loadu_si256((const __m256i*)(keys + i));
        const __m256i in = _mm256_cmpgt_epi32(k, thr);
        const int bits = lane_bits(in);
        vmin = _mm256_min_epu32(vmin, _mm256_or_si256(k, _mm256_xor_si256(in, pad)));
        vmax = _mm256_max_epi32(vmax, _mm256_and_si256(k, in));
        _mm256_storeu_si256((__m256i*)(keys + pos), _mm256_permutevar8x32_epi32(k, compress_perm(bits)));
        pos += __builtin_popcount(bits);
    }
    _mm256_storeu_si256((__m256i*)(keys + pos), pad);
    *mn = hmin_epu32(vmin);
    *mx = hmax_epi32(vmax);
    return pos;
}

/* The rank-th largest (1 <= rank <= m) of keys[0..m) with the counts of larger and equal keys. mn/mx: the
 * smallest and largest key. Destroys keys. */
static kth_result select_kth(uint32_t* keys, int64_t m, int64_t rank, uint32_t mn, uint32_t mx) {
    if (rank <= 32 && rank * 8 <= m) {
        /* A small rank from the top: the min over 8*ceil(rank/8) interleaved groups of the group max is a bound
         * with >= rank keys above it (as in group_max_bound); keep only those. */
        __m256i g0 = _mm256_setzero_si256(), g1 = g0, g2 = g0, g3 = g0;
        int64_t i = 0;
        for (; i + 32 <= m; i += 32) {
            g0 = _mm256_max_epi32(g0, _mm256_loadu_si256((const __m256i*)(keys + i)));
            g1 = _mm256_max_epi32(g1, _mm256_loadu_si256((const __m256i*)(keys + i + 8)));
            g2 = _mm256_max_epi32(g2, _mm256_loadu_si256((const __m256i*)(keys + i + 16)));
            g3 = _mm256_max_epi32(g3, _mm256_loadu_si256((const __m256i*)(keys + i + 24)));
        }
        __m256i rest[4];
        for (int v = 0; v < 4; v++)
            rest[v] = i + 8 * v < m ? _mm256_loadu_si256((const __m256i*)(keys + i + 8 * v)) : _mm256_set1_epi32(-1);
        g0 = _mm256_max_epi32(g0, rest[0]);
        g1 = _mm256_max_epi32(g1, rest[1]);
        g2 = _mm256_max_epi32(g2, rest[2]);
        g3 = _mm256_max_epi32(g3, rest[3]);
        __m256i b;
        if (rank <= 8) b = _mm256_max_epi32(_mm256_max_epi32(g0, g1), _mm256_max_epi32(g2, g3));
        else if (rank <= 16) b = _mm256_min_epi32(_mm256_max_epi32(g0, g2), _mm256_max_epi32(g1, g3));
        else b = _mm256_min_epi32(_mm256_min_epi32(g0, g1), _mm256_min_epi32(g2, g3));
        __m128i s = _mm_min_epi32(_mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1));
        s = _mm_min_epi32(s, _mm_shuffle_epi32(s, 0x4e));
        s = _mm_min_epi32(s, _mm_shuffle_epi32(s, 0xb1));
        m = keep_at_least(keys, m, (uint32_t)_mm_cvtsi128_si32(s), &mn, &mx);
    }
    /* The array holds `len` keys; the wanted one is among the m of them in [mn, mx] (rank-th largest there);
     * `above` keys of the array lie above mx and are already counted in gt. A round counts the keys against 7
     * thresholds spread over [mn, mx] and narrows the range to the bucket holding the rank (8x narrower); the
     * array is left-packed to the range only once that has cut it to a quarter, so skewed key distributions
     * (the bucket keeps most keys) cost counting passes, not data movement. */
    const __m256i pad = _mm256_set1_epi32(-1);
    int64_t len = m, above = 0, gt = 0;
    for (;;) {
        if (mn == mx) {
            const kth_result r = {mn, gt, m};
            return r;
        }
        if (len > m && (m <= 16 || 4 * m <= len)) {
            /* Left-pack the range in place (a store at pos <= i only covers lanes already loaded). */
            const __m256i lo = _mm256_set1_epi32((int)mn - 1), hi = _mm256_set1_epi32((int)mx);
            __m256i vmin = pad, vmax = _mm256_setzero_si256();
            int64_t pos = 0;
            for (int64_t i = 0; i < len; i += 8) {
                const __m256i k = _mm256_loadu_si256((const __m256i*)(keys + i));
                const __m256i in = _mm256_andnot_si256(_mm256_cmpgt_epi32(k, hi), _mm256_cmpgt_epi32(k, lo));
                const int bits = lane_bits(in);
                vmin = _mm256_min_epu32(vmin, _mm256_or_si256(k, _mm256_xor_si256(in, pad)));
                vmax = _mm256_max_epi32(vmax, _mm256_and_si256(k, in));
                _mm256_storeu_si256((__m256i*)(keys + pos), _mm256_permutevar8x32_epi32(k, compress_perm(bits)));
                pos += __builtin_popcount(bits);
            }
            _mm256_storeu_si256((__m256i*)(keys + pos), pad);
            len = m = pos;
            above = 0;
            mn = hmin_epu32(vmin);
            mx = hmax_epi32(vmax);
            continue;
        }
        if (m <= 16) return brute_kth(keys, m, rank, gt);

        /* Buckets [th[j], th[j+1]), th[j] = min(mn + j*step, mx + 1), j = 0..7; th[8] = mx + 1. A threshold at
         * mx + 1 counts exactly the `above` keys, so every in-range count below is >= 0. */
        const int64_t step = (int64_t)((mx - mn) / 8) + 1;
        int64_t th[9];
        for (int j = 0; j < 9; j++) {
            const int64_t t = (int64_t)mn + j * step;
            th[j] = t < (int64_t)mx + 1 ? t : (int64_t)mx + 1;
        }
        __m256i t1 = _mm256_set1_epi32((int)(th[1] - 1)), t2 = _mm256_set1_epi32((int)(th[2] - 1));
        __m256i t3 = _mm256_set1_epi32((int)(th[3] - 1)), t4 = _mm256_set1_epi32((int)(th[4] - 1));
        __m256i t5 = _mm256_set1_epi32((int)(th[5] - 1)), t6 = _mm256_set1_epi32((int)(th[6] - 1));
        __m256i t7 = _mm256_set1_epi32((int)(th[7] - 1));
        __m256i c1 = _mm256_setzero_si256(), c2 = c1, c3 = c1, c4 = c1, c5 = c1, c6 = c1, c7 = c1;
        for (int64_t i = 0; i < len; i += 8) {
            const __m256i k = _mm256_loadu_si256((const __m256i*)(keys + i));
            c1 = _mm256_sub_epi32(c1, _mm256_cmpgt_epi32(k, t1));
            c2 = _mm256_sub_epi32(c2, _mm256_cmpgt_epi32(k, t2));
            c3 = _mm256_sub_epi32(c3, _mm256_cmpgt_epi32(k, t3));
            c4 = _mm256_sub_epi32(c4, _mm256_cmpgt_epi32(k, t4));
            c5 = _mm256_sub_epi32(c5, _mm256_cmpgt_epi32(k, t5));
            c6 = _mm256_sub_epi32(c6, _mm256_cmpgt_epi32(k, t6));
            c7 = _mm256_sub_epi32(c7, _mm256_cmpgt_epi32(k, t7));
        }
        /* Horizontal sums of c1..c7 in one vector: lane j-1 = #{key >= th[j]} in the array. */
        const __m256i h01 = _mm256_hadd_epi32(c1, c2), h23 = _mm256_hadd_epi32(c3, c4);
        const __m256i h45 = _mm256_hadd_epi32(c5, c6), h67 = _mm256_hadd_epi32(c7, _mm256_setzero_si256());
        const __m256i lo4 = _mm256_hadd_epi32(h01, h23), hi4 = _mm256_hadd_epi32(h45, h67); /* per 128-bit half */
        int32_t sums[8];
        _mm256_storeu_si256((__m256i*)sums, _mm256_add_epi32(_mm256_permute2x128_si256(lo4, hi4, 0x20),
                                                             _mm256_permute2x128_si256(lo4, hi4, 0x31)));
        int64_t count[9] = {m, 0, 0, 0, 0, 0, 0, 0, 0}; /* count[j] = #{key in range, key >= th[j]} */
        for (int j = 1; j < 8; j++) count[j] = sums[j - 1] - above;
        int j = 7;
        while (count[j] < rank) j--;
        rank -= count[j + 1];
        gt += count[j + 1];
        above += count[j + 1];
        m = count[j] - count[j + 1];
        mn = (uint32_t)th[j];
        if (th[j + 1] - 1 < (int64_t)mx) mx = (uint32_t)(th[j + 1] - 1);
    }
}

/* ---- phase 1: bounds ------------------------------------------------------------------------------------- */

/* A key lo with at least k elements >= lo (k <= 64): the row is split into 64 disjoint groups (vector v feeds
 * accumulator v % 8, one group per accumulator lane); with r = ceil(k/8), lo = min over the 8 lanes of the r-th
 * largest of the lane's 8 group maxima. Each lane has r groups with a max >= lo: 8r >= k distinct elements. */
static uint32_t group_max_bound(const float* x, int64_t n, int64_t k) {
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        a0 = _mm256_max_epi32(a0, load_keys(x + i));
        a1 = _mm256_max_epi32(a1, load_keys(x + i + 8));
        a2 = _mm256_max_epi32(a2, load_keys(x + i + 16));
        a3 = _mm256_max_epi32(a3, load_keys(x + i + 24));
        a4 = _mm256_max_epi32(a4, load_keys(x + i + 32));
        a5 = _mm256_max_epi32(a5, load_keys(x + i + 40));
        a6 = _mm256_max_epi32(a6, load_keys(x + i + 48));
        a7 = _mm256_max_epi32(a7, load_keys(x + i + 56));
    }
    /* The last < 64 elements: whole vectors, then a partial one; absent lanes read -1. An empty group keeps the
     * max 0, which can only lower lo: still a valid bound. */
    __m256i rest[8];
    for (int v = 0; v < 8; v++) {
        const int64_t at = i + 8 * v;
        __m256i raw;
        rest[v] = at + 8 <= n ? load_keys(x + at) : at < n ? load_keys_tail(x + at, n - at, &raw) : _mm256_set1_epi32(-1);
    }
    a0 = _mm256_max_epi32(a0, rest[0]);
    a1 = _mm256_max_epi32(a1, rest[1]);
    a2 = _mm256_max_epi32(a2, rest[2]);
    a3 = _mm256_max_epi32(a3, rest[3]);
    a4 = _mm256_max_epi32(a4, rest[4]);
    a5 = _mm256_max_epi32(a5, rest[5]);
    a6 = _mm256_max_epi32(a6, rest[6]);
    a7 = _mm256_max_epi32(a7, rest[7]);
    /* Sort each lane's 8 group maxima into a0 >= a1 >= ... >= a7 (Batcher's 19-comparator network). */
#define SORT2(a, b)                          \
    do {                                     \
        const __m256i hi_ = _mm256_max_epi32(a, b); \
        b = _mm256_min_epi32(a, b);          \
        a = hi_;                             \
    } while (0)
    SORT2(a0, a1); SORT2(a2, a3); SORT2(a4, a5); SORT2(a6, a7);
    SORT2(a0, a2); SORT2(a1, a3); SORT2(a4, a6); SORT2(a5, a7);
    SORT2(a1, a2); SORT2(a5, a6);
    SORT2(a0, a4); SORT2(a1, a5); SORT2(a2, a6); SORT2(a3, a7);
    SORT2(a2, a4); SORT2(a3, a5);
    SORT2(a1, a2); SORT2(a3, a4); SORT2(a5, a6);
#undef SORT2
    const __m256i sorted[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
    const __m256i lo = sorted[(k + 7) / 8 - 1];
    __m128i s = _mm_min_epi32(_mm256_castsi256_si128(lo), _mm256_extracti128_si256(lo, 1));
    s = _mm_min_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_min_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return (uint32_t)_mm_cvtsi128_si32(s);
}

enum { GROUP_MAX_K = 64, GROUP_MAX_MAX_N = 4096, SAMPLE_MIN_N = 2048, SAMPLE_MAX_VECTORS = 512 };
#define SAMPLE_Z 2.0 /* bound margin in standard deviations of the sample count */

/* The sample: `vectors` chunks of 8 keys at ((n - 8) * step16 * v) >> 16, step16 = ((n - 8) << 16) / (vectors - 1),
 * v < vectors; s = 8 * vectors ~ 0.6 n^(2/3), a power of two (balances the sample against the band it leaves). */
static int64_t sample_vectors(int64_t n) {
    int64_t vectors = 8;
    while (vectors < SAMPLE_MAX_VECTORS && vectors * 8 <= n / 8 &&
           (double)(8 * vectors) * (double)(8 * vectors) * (double)(8 * vectors) < 0.2 * (double)n * (double)n)
        vectors *= 2;
    return vectors;
}

static inline int64_t sample_step16(int64_t n, int64_t vectors) { return ((n - 8) << 16) / (vectors - 1); }

/* Starts loading the next row's sample while this row is processed. */
static void prefetch_sample(const float* x, int64_t n) {
    const int64_t vectors = sample_vectors(n), step = sample_step16(n, vectors);
    for (int64_t v = 0; v < vectors; v++) _mm_prefetch((const char*)(x + ((v * step) >> 16)), _MM_HINT_T0);
}

typedef struct {
    int64_t s;       /* sample keys */
    uint32_t mn, mx; /* their min and max */
    double mean, sd; /* of the number of sample keys above the k-th largest key of the row */
} sample_info;

/* Guesses lo (and hi when k > n/4) from the sample, which stays in `sample` for retry_lo; sample and scratch need
 * room for 8 * SAMPLE_MAX_VECTORS + 8 keys (n >= SAMPLE_MIN_N). */
static void sample_bounds(const float* x, int64_t n, int64_t k, uint32_t* sample, uint32_t* scratch, int64_t* lo,
                          int64_t* hi, sample_info* si) {
    const int64_t vectors = sample_vectors(n), step = sample_step16(n, vectors), s = 8 * vectors;
    __m256i vmin = _mm256_set1_epi32(-1), vmax = _mm256_setzero_si256();
    for (int64_t v = 0; v < vectors; v++) {
        const __m256i kv = load_keys(x + ((v * step) >> 16));
        vmin = _mm256_min_epu32(vmin, kv);
        vmax = _mm256_max_epi32(vmax, kv);
        _mm256_storeu_si256((__m256i*)(sample + 8 * v), kv);
    }
    const uint32_t mn = hmin_epu32(vmin), mx = hmax_epi32(vmax);
    const double p = (double)k / (double)n, mean = p * (double)s;
    const double var = mean * (1.0 - p);
    const double sd = var > 0.0 ? __builtin_sqrt(var) : 0.0; /* sqrtsd (built with -fno-math-errno) */
    const double r_lo = mean + SAMPLE_Z * sd + 1.0, r_hi = mean - SAMPLE_Z * sd - 1.0;
    si->s = s;
    si->mn = mn;
    si->mx = mx;
    si->mean = mean;
    si->sd = sd;
    *lo = 0;
    *hi = NO_HI;
    if (r_lo < (double)s) {
        memcpy(scratch, sample, (size_t)s * sizeof(uint32_t));
        *lo = select_kth(scratch, s, (int64_t)r_lo + 1, mn, mx).t;
    }
    if (4 * k > n && r_hi >= 1.0) {
        /* The r_hi-th largest is among the keys >= lo (at least r_lo + 1 > r_hi of them). */
        memcpy(scratch, sample, (size_t)s * sizeof(uint32_t));
        uint32_t kmn, kmx;
        const int64_t kept = keep_at_least(scratch, s, (uint32_t)*lo, &kmn, &kmx);
        *hi = select_kth(scratch, kept, (int64_t)r_hi, kmn, kmx).t;
    }
}

/* After lo proved too high (~1% of rows): a much safer lo from the same sample (4.5 standard deviations), so that
 * the retry does not have to take every element as a candidate. */
static uint32_t retry_lo(const uint32_t* sample, uint32_t* scratch, const sample_info* si) {
    const double r = si->mean + 4.5 * si->sd + 4.0;
    if (r >= (double)si->s) return 0;
    memcpy(scratch, sample, (size_t)si->s * sizeof(uint32_t));
    return select_kth(scratch, si->s, (int64_t)r + 1, si->mn, si->mx).t;
}

/* ---- phase 2: candidate passes ----------------------------------------------------------------------------
 * compress_at_least left-packs indices only: base + permutation-table entry is the packed index vector (an add,
 * where packing the keys too would cost a lane permute per vector); the few candidates' keys are loaded after. */

static inline uint32_t key_at(const float* x, int32_t i) {
    uint32_t bits;
    memcpy(&bits, x + i, sizeof bits);
    return bits & KEY_MASK;
}

/* Indices of the keys >= lo, in order, into ci, and their raw values into cv (both with room for 8 lanes past
 * the last); returns their number. One table permutation per vector packs both. */
static int64_t compress_at_least(const float* x, int64_t n, uint32_t lo, int32_t* ci, uint32_t* cv) {
    const __m256i thr = _mm256_set1_epi32((int)lo - 1), key_mask = _mm256_set1_epi32(KEY_MASK);
    const __m256i eight = _mm256_set1_epi32(8), sixteen = _mm256_set1_epi32(16);
    __m256i base = _mm256_setzero_si256();
    int64_t pos = 0, i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256i r0 = _mm256_loadu_si256((const __m256i*)(x + i));
        const __m256i r1 = _mm256_loadu_si256((const __m256i*)(x + i + 8));
        const int b0 = lane_bits(_mm256_cmpgt_epi32(_mm256_and_si256(r0, key_mask), thr));
        const int b1 = lane_bits(_mm256_cmpgt_epi32(_mm256_and_si256(r1, key_mask), thr));
        const __m256i p0 = compress_perm(b0), p1 = compress_perm(b1);
        _mm256_storeu_si256((__m256i*)(ci + pos), _mm256_add_epi32(base, p0));
        _mm256_storeu_si256((__m256i*)(cv + pos), _mm256_permutevar8x32_epi32(r0, p0));
        pos += __builtin_popcount(b0);
        _mm256_storeu_si256((__m256i*)(ci + pos), _mm256_add_epi32(_mm256_add_epi32(base, eight), p1));
        _mm256_storeu_si256((__m256i*)(cv + pos), _mm256_permutevar8x32_epi32(r1, p1));
        pos += __builtin_popcount(b1);
        base = _mm256_add_epi32(base, sixteen);
    }
    for (; i < n; i += 8) {
        __m256i raw;
        const __m256i kv = i + 8 <= n ? _mm256_and_si256(raw = _mm256_loadu_si256((const __m256i*)(x + i)), key_mask)
                                      : load_keys_tail(x + i, n - i, &raw);
        const int bits = lane_bits(_mm256_cmpgt_epi32(kv, thr));
        const __m256i perm = compress_perm(bits);
        _mm256_storeu_si256((__m256i*)(ci + pos), _mm256_add_epi32(base, perm));
        _mm256_storeu_si256((__m256i*)(cv + pos), _mm256_permutevar8x32_epi32(raw, perm));
        pos += __builtin_popcount(bits);
        base = _mm256_add_epi32(base, eight);
    }
    return pos;
}

/* cv[j] = raw bits of x[ci[j]] (after the sparse pass, which writes indices only). */
static void gather_candidates(const float* x, const int32_t* ci, int64_t m, uint32_t* cv) {
    for (int64_t j = 0; j < m; j++) memcpy(cv + j, x + ci[j], sizeof(uint32_t));
}

/* keys[j] = key of cv[j] for j < m (m >= 1), padded with -1 (never counted) up to round8(m) + 8, and their
 * min/max. ci and cv get 8 lanes of 0 past m (read, but masked off, by the emission). */
static void candidate_keys(int32_t* ci, uint32_t* cv, int64_t m, uint32_t* keys, uint32_t* mn, uint32_t* mx) {
    const __m256i key_mask = _mm256_set1_epi32(KEY_MASK), pad = _mm256_set1_epi32(-1);
    _mm256_storeu_si256((__m256i*)(ci + m), _mm256_setzero_si256());
    _mm256_storeu_si256((__m256i*)(cv + m), _mm256_setzero_si256());
    __m256i vmin = pad, vmax = _mm256_setzero_si256();
    for (int64_t j = 0; j < m; j += 8) {
        const __m256i valid = first_lanes(m - j);
        const __m256i k = _mm256_or_si256(_mm256_and_si256(_mm256_loadu_si256((const __m256i*)(cv + j)), key_mask),
                                          _mm256_andnot_si256(valid, pad));
        _mm256_storeu_si256((__m256i*)(keys + j), k);
        vmin = _mm256_min_epu32(vmin, k);
        vmax = _mm256_max_epi32(vmax, _mm256_and_si256(k, valid));
    }
    _mm256_storeu_si256((__m256i*)(keys + round8(m)), pad);
    *mn = hmin_epu32(vmin);
    *mx = hmax_epi32(vmax);
}

/* 32-bit mask of the keys >= lo (as cmpgt with thr = lo - 1) among the 32 elements at p, bit j = element j:
 * four compares packed to bytes (in-lane packs interleave 4-lane groups; one dword permute restores order). */
static inline uint32_t mask32_above(const float* p, __m256i thr) {
    const __m256i c0 = _mm256_cmpgt_epi32(load_keys(p), thr), c1 = _mm256_cmpgt_epi32(load_keys(p + 8), thr);
    const __m256i c2 = _mm256_cmpgt_epi32(load_keys(p + 16), thr), c3 = _mm256_cmpgt_epi32(load_keys(p + 24), thr);
    const __m256i b = _mm256_packs_epi16(_mm256_packs_epi32(c0, c1), _mm256_packs_epi32(c2, c3));
    return (uint32_t)_mm256_movemask_epi8(_mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
}

/* compress_at_least for a bound that leaves few survivors (<= ~4 per 64 elements): per 64 elements one 64-bit
 * mask, whose set bits are written out as indices by bit scans: the first unconditionally (a write past the
 * survivors lands in the padding and is overwritten later), the others in a loop. No table, no lane permutes.
 * (More unconditional writes, which avoid the loop's branch misses, measured slower on Zen 5 at every density
 * this filter is used for: 4 of them cost ~45% more at 1 survivor per block and ~7% more at 3.)
 * Bit 63 is or-ed into the scanned word so that the scan of an empty mask is defined (it yields 63, a write
 * past the survivors) and a genuine bit 63 still scans as 63. */
static int64_t compress_at_least_sparse(const float* x, int64_t n, uint32_t lo, int32_t* ci) {
    const __m256i thr = _mm256_set1_epi32((int)lo - 1);
    const uint64_t top = (uint64_t)1 << 63;
    int64_t pos = 0, i = 0;
    for (; i + 64 <= n; i += 64) {
        uint64_t m = (uint64_t)mask32_above(x + i, thr) | (uint64_t)mask32_above(x + i + 32, thr) << 32;
        const int cnt = __builtin_popcountll(m);
        int32_t* o = ci + pos;
        const int32_t base = (int32_t)i;
        o[0] = base + __builtin_ctzll(m | top);
        m &= m - 1;
        while (m != 0) {
            *++o = base + __builtin_ctzll(m);
            m &= m - 1;
        }
        pos += cnt;
    }
    __m256i base = _mm256_set1_epi32((int)i);
    const __m256i eight = _mm256_set1_epi32(8);
    for (; i < n; i += 8) {
        __m256i raw;
        const __m256i kv = i + 8 <= n ? load_keys(x + i) : load_keys_tail(x + i, n - i, &raw);
        const int bits = lane_bits(_mm256_cmpgt_epi32(kv, thr));
        _mm256_storeu_si256((__m256i*)(ci + pos), _mm256_add_epi32(base, compress_perm(bits)));
        pos += __builtin_popcount(bits);
        base = _mm256_add_epi32(base, eight);
    }
    return pos;
}

/* Counts the keys >= hi into *above and left-packs the keys in [lo, hi) into mid (padded: 8 lanes of -1 past the
 * last); returns their number and their min/max. (The emission pass re-reads the row, so no indices here.) */
static int64_t compress_band(const float* x, int64_t n, uint32_t lo, uint32_t hi, uint32_t* mid, int64_t* above,
                             uint32_t* mn, uint32_t* mx) {
    const __m256i tlo = _mm256_set1_epi32((int)lo - 1), thi = _mm256_set1_epi32((int)hi - 1);
    const __m256i pad = _mm256_set1_epi32(-1);
    __m256i cnt = _mm256_setzero_si256();
    int64_t pos = 0;
    for (int64_t i = 0; i < n; i += 8) {
        __m256i raw;
        const __m256i k = i + 8 <= n ? load_keys(x + i) : load_keys_tail(x + i, n - i, &raw);
        const __m256i ge_hi = _mm256_cmpgt_epi32(k, thi);
        const int bits = lane_bits(_mm256_andnot_si256(ge_hi, _mm256_cmpgt_epi32(k, tlo)));
        cnt = _mm256_sub_epi32(cnt, ge_hi);
        _mm256_storeu_si256((__m256i*)(mid + pos), _mm256_permutevar8x32_epi32(k, compress_perm(bits)));
        pos += __builtin_popcount(bits);
    }
    _mm256_storeu_si256((__m256i*)(mid + pos), pad);
    __m256i vmin = pad, vmax = _mm256_setzero_si256();
    for (int64_t j = 0; j < pos; j += 8) {
        const __m256i k = _mm256_loadu_si256((const __m256i*)(mid + j));
        vmin = _mm256_min_epu32(vmin, k);
        vmax = _mm256_max_epi32(vmax, k);
    }
    *above = hsum_epi32(cnt);
    *mn = hmin_epu32(vmin);
    *mx = hmax_epi32(vmax);
    return pos;
}

/* ---- phase 4: emission ------------------------------------------------------------------------------------ */

/* Lanes to take: all keys > T, and keys == T while the quota of equal keys lasts (lowest lanes first). */
static inline int take_bits(__m256i k, __m256i t, int64_t* quota) {
    const int gt = lane_bits(_mm256_cmpgt_epi32(k, t));
    int eq = lane_bits(_mm256_cmpeq_epi32(k, t));
    if (eq != 0) {
        const int64_t q = *quota;
        int64_t c = __builtin_popcount(eq);
        if (c > q) {
            int keep = 0;
            for (int64_t j = 0; j < q; j++) {
                keep |= eq & -eq;
                eq &= eq - 1;
            }
            eq = keep;
            c = q;
        }
        *quota = q - c;
    }
    return gt | eq;
}

/* Stores the first `count` lanes of v at dst (count <= room); all 8 lanes when they fit before the end, else a
 * masked store (a variable-length memcpy there cost more than the rest of the emission). */
static inline void store_first(int32_t* dst, __m256i v, int count, int64_t room) {
    if (room >= 8) {
        _mm256_storeu_si256((__m256i*)dst, v);
    } else {
        _mm256_maskstore_epi32(dst, first_lanes(count), v);
    }
}

/* From the candidate list (ascending indices, raw values): keys >= T when every key == T is taken, else with a
 * quota; indices and values packed by the same table permutation. Lanes past m are masked off. */
static void emit_from_candidates(const uint32_t* cv, const int32_t* ci, int64_t m, const kth_result* sel, int64_t k,
                                 int32_t* idx, float* val) {
    int64_t quota = k - sel->gt;
    const int all_equal = quota == sel->eq;
    const __m256i t = _mm256_set1_epi32((int)sel->t), t_minus_1 = _mm256_set1_epi32((int)sel->t - 1);
    const __m256i key_mask = _mm256_set1_epi32(KEY_MASK);
    int64_t pos = 0;
    for (int64_t i = 0; i < m && pos < k; i += 8) {
        const __m256i raw = _mm256_loadu_si256((const __m256i*)(cv + i));
        const __m256i kv = _mm256_and_si256(raw, key_mask);
        int bits = all_equal ? lane_bits(_mm256_cmpgt_epi32(kv, t_minus_1)) : take_bits(kv, t, &quota);
        if (m - i < 8) bits &= (1 << (m - i)) - 1;
        const __m256i perm = compress_perm(bits);
        const int c = __builtin_popcount(bits);
        store_first(idx + pos, _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i*)(ci + i)), perm), c,
                    k - pos);
        if (val != NULL) store_first((int32_t*)(val + pos), _mm256_permutevar8x32_epi32(raw, perm), c, k - pos);
        pos += c;
    }
}

/* A pass over the row: indices (and values) of the selected keys, in index order. While 8 more fit before k the
 * stores are unconditional (lanes past the selected ones are overwritten later); then through store_first. */
static void emit_from_row(const float* x, int64_t n, const kth_result* sel, int64_t k, int32_t* idx, float* val) {
    int64_t quota = k - sel->gt;
    const int all_equal = quota == sel->eq;
    const __m256i t = _mm256_set1_epi32((int)sel->t), t_minus_1 = _mm256_set1_epi32((int)sel->t - 1);
    const __m256i key_mask = _mm256_set1_epi32(KEY_MASK), eight = _mm256_set1_epi32(8);
    __m256i base = _mm256_setzero_si256();
    int64_t pos = 0, i = 0;
    if (all_equal) {
        if (val != NULL) {
            for (; i + 8 <= n && pos + 8 <= k; i += 8) {
                const __m256i raw = _mm256_loadu_si256((const __m256i*)(x + i));
                const int bits = lane_bits(_mm256_cmpgt_epi32(_mm256_and_si256(raw, key_mask), t_minus_1));
                const __m256i perm = compress_perm(bits);
                _mm256_storeu_si256((__m256i*)(idx + pos), _mm256_add_epi32(base, perm));
                _mm256_storeu_si256((__m256i*)(val + pos), _mm256_permutevar8x32_epi32(raw, perm));
                pos += __builtin_popcount(bits);
                base = _mm256_add_epi32(base, eight);
            }
        } else {
            for (; i + 8 <= n && pos + 8 <= k; i += 8) {
                const __m256i kv = _mm256_and_si256(_mm256_loadu_si256((const __m256i*)(x + i)), key_mask);
                const int bits = lane_bits(_mm256_cmpgt_epi32(kv, t_minus_1));
                _mm256_storeu_si256((__m256i*)(idx + pos), _mm256_add_epi32(base, compress_perm(bits)));
                pos += __builtin_popcount(bits);
                base = _mm256_add_epi32(base, eight);
            }
        }
    }
    for (; i < n && pos < k; i += 8) {
        __m256i raw;
        const __m256i kv = i + 8 <= n ? _mm256_and_si256(raw = _mm256_loadu_si256((const __m256i*)(x + i)), key_mask)
                                      : load_keys_tail(x + i, n - i, &raw);
        const int bits = all_equal ? lane_bits(_mm256_cmpgt_epi32(kv, t_minus_1)) : take_bits(kv, t, &quota);
        const __m256i perm = compress_perm(bits);
        const int c = __builtin_popcount(bits);
        store_first(idx + pos, _mm256_add_epi32(base, perm), c, k - pos);
        if (val != NULL) store_first((int32_t*)(val + pos), _mm256_permutevar8x32_epi32(raw, perm), c, k - pos);
        pos += c;
        base = _mm256_add_epi32(base, eight);
    }
}

static void emit_all(const float* x, int64_t n, int32_t* idx, float* val) {
    const __m256i eight = _mm256_set1_epi32(8);
    __m256i iota = lane_iota();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_si256((__m256i*)(idx + i), iota);
        iota = _mm256_add_epi32(iota, eight);
    }
    for (; i < n; i++) idx[i] = (int32_t)i;
    if (val != NULL) memcpy(val, x, (size_t)n * sizeof(float));
}

/* ---- driver ----------------------------------------------------------------------------------------------- */

void mp_topk_row_avx2(const float* x, int64_t n, int64_t k, int32_t* idx, float* val, void* ws, const float* next_x) {
    if (k == n) {
        emit_all(x, n, idx, val);
        return;
    }
    const size_t array_words = (size_t)(((n + 64) * 4 + 63) / 64 * 16);
    uint32_t* ck = (uint32_t*)(((uintptr_t)ws + 63) & ~(uintptr_t)63); /* candidate keys */
    int32_t* ci = (int32_t*)(ck + array_words);                       /* candidate indices */
    uint32_t* wk = ck + 2 * array_words;                               /* select scratch */

    int64_t lo = 0, hi = NO_HI;
    int sampled = 0;
    sample_info si = {0, 0, 0, 0.0, 0.0};
    if (n >= 64 && k <= GROUP_MAX_K && n < GROUP_MAX_MAX_N) {
        lo = group_max_bound(x, n, k);
    } else if (n >= SAMPLE_MIN_N) {
        sample_bounds(x, n, k, ck, wk, &lo, &hi, &si); /* the sample stays in ck until the candidates' keys */
        sampled = 1;
        if (next_x != NULL) prefetch_sample(next_x, n);
    }

    if (hi != NO_HI) {
        int64_t above = 0;
        uint32_t mn, mx;
        int64_t m = compress_band(x, n, (uint32_t)lo, (uint32_t)hi, wk, &above, &mn, &mx);
        if (above < k) {
            if (above + m < k) { /* lo was too high */
                m = compress_band(x, n, retry_lo(ck, wk, &si), (uint32_t)hi, wk, &above, &mn, &mx);
                if (above + m < k) m = compress_band(x, n, 0, (uint32_t)hi, wk, &above, &mn, &mx);
            }
            kth_result sel = select_kth(wk, m, k - above, mn, mx);
            sel.gt += above;
            emit_from_row(x, n, &sel, k, idx, val);
            return;
        }
        lo = hi; /* hi was too low: T >= hi, and the keys >= hi are enough candidates */
    }

    /* Sparse filter when the sample expects <= 1 survivor per 16 elements. Candidate raw values go to wk. */
    const int sparse = sampled && (si.mean + SAMPLE_Z * si.sd + 2.0) * 16.0 <= (double)si.s;
    int64_t m;
    if (sparse) {
        m = compress_at_least_sparse(x, n, (uint32_t)lo, ci);
        if (m >= k) gather_candidates(x, ci, m, wk);
    } else {
        m = compress_at_least(x, n, (uint32_t)lo, ci, wk);
    }
    if (m < k && sampled) m = compress_at_least(x, n, retry_lo(ck, wk, &si), ci, wk); /* the sample's lo was too high */
    if (m < k) m = compress_at_least(x, n, 0, ci, wk);
    uint32_t mn, mx;
    candidate_keys(ci, wk, m, ck, &mn, &mx);
    const kth_result sel = select_kth(ck, m, k, mn, mx);
    emit_from_candidates(wk, ci, m, &sel, k, idx, val);
}
