// mp_sgemm_f32 vs OpenBLAS cblas_sgemm, same shapes, transposes and thread count.
//   sgemm_bench [--benchmark_filter=...] [--benchmark_repetitions=3 --benchmark_report_aggregates_only=true]
// Counter GFLOPS = 2*M*N*K / time. The OpenBLAS kernel in use (its core name) is printed first; run with
// OPENBLAS_CORETYPE=Haswell to compare against its AVX2 kernel on an AVX-512 CPU.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "meprop.h"

namespace {

struct Shape {
    const char* name;
    int ta, tb;
    int64_t M, N, K;
};

// The meProp MLP (batch 100, 784-500-500-10): forward y = x W^T (trans_b), dx = dy W, dW = dy^T x (trans_a).
const Shape kShapes[] = {
    {"fwd_100x500x784_NT", 0, 1, 100, 500, 784}, {"fwd_100x500x500_NT", 0, 1, 100, 500, 500},
    {"fwd_100x10x500_NT", 0, 1, 100, 10, 500},   {"dx_100x784x500_NN", 0, 0, 100, 784, 500},
    {"dx_100x500x500_NN", 0, 0, 100, 500, 500},  {"dx_100x500x10_NN", 0, 0, 100, 500, 10},
    {"dW_500x784x100_TN", 1, 0, 500, 784, 100},  {"dW_500x500x100_TN", 1, 0, 500, 500, 100},
    {"dW_10x500x100_TN", 1, 0, 10, 500, 100},    {"sq_500x500x500_NN", 0, 0, 500, 500, 500},
    // batch 32, the default training batch of `meprop train mlp`
    {"fwd_32x500x784_NT", 0, 1, 32, 500, 784},   {"fwd_32x500x500_NT", 0, 1, 32, 500, 500},
    {"dx_32x500x500_NN", 0, 0, 32, 500, 500},    {"dW_500x784x32_TN", 1, 0, 500, 784, 32},
    {"dW_500x500x32_TN", 1, 0, 500, 500, 32},
    {"big_2048_NN", 0, 0, 2048, 2048, 2048},     {"big_2048_NT", 0, 1, 2048, 2048, 2048},
    {"big_2048_TN", 1, 0, 2048, 2048, 2048},
};

struct Operands {
    std::vector<float> a, b, c;
    int64_t lda, ldb, ldc;
    explicit Operands(const Shape& s) {
        std::mt19937 rng(1234);
        std::uniform_real_distribution<float> d(-1.0f, 1.0f);
        a.resize((size_t)(s.M * s.K));
        b.resize((size_t)(s.K * s.N));
        c.assign((size_t)(s.M * s.N), 0.0f);
        for (float& x : a) x = d(rng);
        for (float& x : b) x = d(rng);
        lda = s.ta ? s.M : s.K;
        ldb = s.tb ? s.K : s.N;
        ldc = s.N;
    }
};

void SetCounters(benchmark::State& state, const Shape& s) {
    state.counters["GFLOPS"] = benchmark::Counter(2.0 * (double)s.M * (double)s.N * (double)s.K * 1e-9,
                                                  benchmark::Counter::kIsIterationInvariantRate);
    state.SetLabel(s.name);
}

void BM_mp_sgemm(benchmark::State& state) {
    const Shape& s = kShapes[state.range(0)];
    mp_set_num_threads((int32_t)state.range(1));
    Operands o(s);
    for (auto _ : state) {
        if (mp_sgemm_f32(s.ta, s.tb, s.M, s.N, s.K, 1.0f, o.a.data(), o.lda, o.b.data(), o.ldb, 0.0f, o.c.data(),
                         o.ldc) != MP_OK) {
            state.SkipWithError(mp_last_error());
            break;
        }
        benchmark::DoNotOptimize(o.c.data());
        benchmark::ClobberMemory();
    }
    SetCounters(state, s);
}

void BM_openblas_sgemm(benchmark::State& state) {
    const Shape& s = kShapes[state.range(0)];
    openblas_set_num_threads((int)state.range(1));
    Operands o(s);
    for (auto _ : state) {
        cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans, (int)s.M,
                    (int)s.N, (int)s.K, 1.0f, o.a.data(), (int)o.lda, o.b.data(), (int)o.ldb, 0.0f, o.c.data(),
                    (int)o.ldc);
        benchmark::DoNotOptimize(o.c.data());
        benchmark::ClobberMemory();
    }
    SetCounters(state, s);
}

void Args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"shape", "threads"});
    for (int64_t threads : {1, 2})
        for (int64_t i = 0; i < (int64_t)(sizeof kShapes / sizeof kShapes[0]); i++) b->Args({i, threads});
    b->UseRealTime()->MinTime(0.2);
}

BENCHMARK(BM_mp_sgemm)->Apply(Args);
BENCHMARK(BM_openblas_sgemm)->Apply(Args);

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
