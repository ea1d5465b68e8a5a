// The meProp kernels against their baselines (configure with -DMEPROP_BUILD_BENCH=ON):
//  - top-k (AVX2 and scalar ISA) vs a classic scalar binary min-heap over |x| (O(n log k), indices sorted after),
//    and vs one streaming AVX2 pass that only sums |x| over the same rows (the floor for a one-pass method);
//    rows x n covers 0.5 MB (L2-resident), 8 MB (L3) and 64 MB (DRAM) of gradients;
//  - sparse backward (dx + dW, per-example pattern of k) vs the dense backward through OpenBLAS cblas_sgemm and
//    through mp_sgemm_f32 (dx = dy W, dW += dy^T x: 2 * 2*batch*n*m flops) at the same thread count.
//   kernels_bench [--benchmark_filter=Topk] [--benchmark_repetitions=3 --benchmark_report_aggregates_only=true]
// Counters: ns_per_row (top-k), us_per_example (backward).
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <utility>
#include <vector>

#include "meprop.h"

namespace {

std::vector<float> normal(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> d(0.0f, 1.0f);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

// ---- top-k ----------------------------------------------------------------------------------------------------

struct TopkData {
    int64_t rows, n, k;
    std::vector<float> x, val;
    std::vector<int32_t> idx;
    std::vector<unsigned char> ws;
    TopkData(int64_t rows_, int64_t n_, int64_t k_) : rows(rows_), n(n_), k(k_) {
        x = normal((size_t)(rows * n), 42);
        idx.resize((size_t)(rows * k));
        val.resize((size_t)(rows * k));
        int64_t bytes = 0;
        mp_topk_abs_rows_workspace_size(n, k, &bytes);
        ws.resize((size_t)bytes);
    }
};

void topk_counters(benchmark::State& state, int64_t rows) {
    state.counters["ns_per_row"] =
        benchmark::Counter((double)rows * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_topk(benchmark::State& state) {
    TopkData d(state.range(0), state.range(1), state.range(2));
    if (mp_set_isa((int32_t)state.range(3)) != MP_OK) {
        state.SkipWithError(mp_last_error());
        return;
    }
    for (auto _ : state) {
        if (mp_topk_abs_rows_f32(d.x.data(), d.rows, d.n, d.n, d.k, d.idx.data(), d.k, d.val.data(), d.k, d.ws.data(),
                                 (int64_t)d.ws.size()) != MP_OK) {
            state.SkipWithError(mp_last_error());
            break;
        }
        benchmark::DoNotOptimize(d.idx.data());
        benchmark::ClobberMemory();
    }
    mp_set_isa(MP_ISA_AUTO);
    topk_counters(state, d.rows);
}

// Classic baseline: min-heap of the k best (|x|, index) seen so far (ties to the lower index), then the indices
// sorted ascending and the values gathered, the same outputs as the kernel.
struct Entry {
    float mag;
    int32_t i;
};
inline bool worse(const Entry& a, const Entry& b) { return a.mag < b.mag || (a.mag == b.mag && a.i > b.i); }

void sift_down(Entry* h, int64_t k, int64_t p) {
    const Entry e = h[p];
    for (;;) {
        int64_t c = 2 * p + 1;
        if (c >= k) break;
        if (c + 1 < k && worse(h[c + 1], h[c])) c++;
        if (!worse(h[c], e)) break;
        h[p] = h[c];
        p = c;
    }
    h[p] = e;
}

void heap_topk_row(const float* x, int64_t n, int64_t k, Entry* h, int32_t* idx, float* val) {
    for (int64_t i = 0; i < k; i++) h[i] = {std::fabs(x[i]), (int32_t)i};
    for (int64_t p = k / 2 - 1; p >= 0; p--) sift_down(h, k, p);
    for (int64_t i = k; i < n; i++) {
        const float m = std::fabs(x[i]);
        if (m > h[0].mag) {
            h[0] = {m, (int32_t)i};
            sift_down(h, k, 0);
        }
    }
    for (int64_t j = 0; j < k; j++) idx[j] = h[j].i;
    std::sort(idx, idx + k);
    for (int64_t j = 0; j < k; j++) val[j] = x[idx[j]];
}

void BM_topk_heap(benchmark::State& state) {
    TopkData d(state.range(0), state.range(1), state.range(2));
    std::vector<Entry> heap((size_t)d.k);
    for (auto _ : state) {
        for (int64_t r = 0; r < d.rows; r++)
            heap_topk_row(d.x.data() + r * d.n, d.n, d.k, heap.data(), d.idx.data() + r * d.k, d.val.data() + r * d.k);
        benchmark::DoNotOptimize(d.idx.data());
        benchmark::ClobberMemory();
    }
    topk_counters(state, d.rows);
}

__attribute__((target("avx2"))) float abs_sum_pass(const float* x, int64_t count) {
    const __m256 mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + 32 <= count; i += 32) {
        a0 = _mm256_add_ps(a0, _mm256_and_ps(mask, _mm256_loadu_ps(x + i)));
        a1 = _mm256_add_ps(a1, _mm256_and_ps(mask, _mm256_loadu_ps(x + i + 8)));
        a2 = _mm256_add_ps(a2, _mm256_and_ps(mask, _mm256_loadu_ps(x + i + 16)));
        a3 = _mm256_add_ps(a3, _mm256_and_ps(mask, _mm256_loadu_ps(x + i + 24)));
    }
    float tail = 0.0f;
    for (; i < count; i++) tail += std::fabs(x[i]);
    float lanes[8];
    _mm256_storeu_ps(lanes, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    return lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7] + tail;
}

void BM_abs_sum_pass(benchmark::State& state) {
    TopkData d(state.range(0), state.range(1), 1);
    for (auto _ : state) {
        float s = 0.0f;
        for (int64_t r = 0; r < d.rows; r++) s += abs_sum_pass(d.x.data() + r * d.n, d.n);
        benchmark::DoNotOptimize(s);
    }
    topk_counters(state, d.rows);
}

// {rows, n, k}: the meProp MLP layer (n = 500, k = 20, batch 100) and long rows at k ~ 1%, 2% and n/2, over a
// few MB of rows (streamed from L3 like a real mini-batch of gradients) and over 16 rows (L2-resident).
const int64_t kTopkShapes[][3] = {
    {100, 500, 20},   {100, 500, 5},     {100, 500, 100},   {256, 8192, 82},   {256, 8192, 164},
    {256, 8192, 4096}, {16, 8192, 82},   {16, 8192, 164},   {16, 8192, 4096},  {2048, 8192, 82},
    {2048, 8192, 164}, {2048, 8192, 4096}, {32, 65536, 655},  {32, 65536, 1311}, {32, 65536, 32768},
};

void TopkArgs(benchmark::internal::Benchmark* b) {
    b->ArgNames({"rows", "n", "k", "isa"});
    for (const auto& s : kTopkShapes)
        for (int64_t isa : {MP_ISA_AVX2, MP_ISA_SCALAR}) b->Args({s[0], s[1], s[2], isa});
    b->MinTime(0.1);
}
void HeapArgs(benchmark::internal::Benchmark* b) {
    b->ArgNames({"rows", "n", "k"});
    for (const auto& s : kTopkShapes) b->Args({s[0], s[1], s[2]});
    b->MinTime(0.1);
}
void PassArgs(benchmark::internal::Benchmark* b) {
    b->ArgNames({"rows", "n"});
    std::vector<std::pair<int64_t, int64_t>> seen;
    for (const auto& s : kTopkShapes) {
        const std::pair<int64_t, int64_t> rn{s[0], s[1]};
        if (std::find(seen.begin(), seen.end(), rn) != seen.end()) continue;
        seen.push_back(rn);
        b->Args({s[0], s[1]});
    }
    b->MinTime(0.1);
}

BENCHMARK(BM_topk)->Apply(TopkArgs);
BENCHMARK(BM_topk_heap)->Apply(HeapArgs);
BENCHMARK(BM_abs_sum_pass)->Apply(PassArgs);

// ---- sparse vs dense backward ----------------------------------------------------------------------------------

struct Layer {
    int64_t batch, n, m, k;
    std::vector<float> x, w, dy, dx, dw, val;
    std::vector<int32_t> idx;
    Layer(int64_t batch_, int64_t n_, int64_t m_, int64_t k_) : batch(batch_), n(n_), m(m_), k(k_) {
        x = normal((size_t)(batch * m), 1);
        w = normal((size_t)(n * m), 2);
        dy = normal((size_t)(batch * n), 3);
        dx.assign((size_t)(batch * m), 0.0f);
        dw.assign((size_t)(n * m), 0.0f);
        idx.resize((size_t)(batch * k));
        val.resize((size_t)(batch * k));
        int64_t bytes = 0;
        mp_topk_abs_rows_workspace_size(n, k, &bytes);
        std::vector<unsigned char> ws((size_t)bytes);
        mp_topk_abs_rows_f32(dy.data(), batch, n, n, k, idx.data(), k, val.data(), k, ws.data(), bytes);
    }
};

void backward_counters(benchmark::State& state, const Layer& l) {
    state.counters["us_per_example"] = benchmark::Counter(
        (double)l.batch * 1e-6, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_sparse_backward(benchmark::State& state) {
    Layer l(state.range(0), state.range(1), state.range(2), state.range(3));
    mp_set_num_threads((int32_t)state.range(4));
    for (auto _ : state) {
        if (mp_sparse_backward_dx_f32(l.batch, l.n, l.m, l.k, l.idx.data(), l.k, l.val.data(), l.k, l.w.data(), l.m,
                                      l.dx.data(), l.m) != MP_OK ||
            mp_sparse_backward_dw_f32(l.batch, l.n, l.m, l.k, l.idx.data(), l.k, l.val.data(), l.k, l.x.data(), l.m,
                                      l.dw.data(), l.m) != MP_OK) {
            state.SkipWithError(mp_last_error());
            break;
        }
        benchmark::DoNotOptimize(l.dw.data());
        benchmark::ClobberMemory();
    }
    backward_counters(state, l);
}

void BM_dense_backward_openblas(benchmark::State& state) {
    Layer l(state.range(0), state.range(1), state.range(2), state.range(3));
    openblas_set_num_threads((int)state.range(4));
    const int B = (int)l.batch, N = (int)l.n, M = (int)l.m;
    for (auto _ : state) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, M, N, 1.0f, l.dy.data(), N, l.w.data(), M, 0.0f,
                    l.dx.data(), M);  // dx = dy W
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, M, B, 1.0f, l.dy.data(), N, l.x.data(), M, 1.0f,
                    l.dw.data(), M);  // dW += dy^T x
        benchmark::DoNotOptimize(l.dw.data());
        benchmark::ClobberMemory();
    }
    backward_counters(state, l);
}

// The same dense backward through the library's own SGEMM (skipped while mp_sgemm_f32 is unavailable).
void BM_dense_backward_mp_sgemm(benchmark::State& state) {
    Layer l(state.range(0), state.range(1), state.range(2), state.range(3));
    mp_set_num_threads((int32_t)state.range(4));
    for (auto _ : state) {
        if (mp_sgemm_f32(0, 0, l.batch, l.m, l.n, 1.0f, l.dy.data(), l.n, l.w.data(), l.m, 0.0f, l.dx.data(), l.m) != MP_OK ||
            mp_sgemm_f32(1, 0, l.n, l.m, l.batch, 1.0f, l.dy.data(), l.n, l.x.data(), l.m, 1.0f, l.dw.data(), l.m) != MP_OK) {
            state.SkipWithError(mp_last_error());
            break;
        }
        benchmark::DoNotOptimize(l.dw.data());
        benchmark::ClobberMemory();
    }
    backward_counters(state, l);
}

void BackwardArgs(benchmark::internal::Benchmark* b) {
    b->ArgNames({"batch", "n", "m", "k", "threads"});
    for (int64_t threads : {1, 2}) {
        b->Args({100, 500, 784, 20, threads});
        b->Args({100, 500, 500, 20, threads});
    }
    b->UseRealTime()->MinTime(0.2);
}

BENCHMARK(BM_sparse_backward)->Apply(BackwardArgs);
BENCHMARK(BM_dense_backward_openblas)->Apply(BackwardArgs);
BENCHMARK(BM_dense_backward_mp_sgemm)->Apply(BackwardArgs);

}  // namespace

int main(int argc, char** argv) {
    std::printf("OpenBLAS core: %s (%s)\nlibmeprop: %s, isa %d\n", openblas_get_corename(), openblas_get_config(),
                mp_build_info(), (int)mp_get_isa());
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
