// The linear-layer backward of the foundation target (dx, dW, db from dy; n = 500, m = 784, batch 100), dense through
// mp_sgemm_f32 against meProp per-example top-k (selection + mp_sparse_backward_f32) and unified top-k (selection,
// compaction, two small GEMMs, scatter), with the variants taking turns in one process: each turn runs one variant
// `turn` times back to back, the first call unmeasured (it brings the variant's operands back into cache), and the
// turns cycle through the variants for `rounds` rounds. A slow phase of the machine then hits every variant alike,
// which BenchmarkDotNet's one-class-after-another order cannot promise on a shared VM. The speedups are ratios of
// medians over all measured calls.
//   backward_turns [--threads N] [--rounds R] [--turn T]      (N = 0: the library's default)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "meprop.h"

namespace {

// 64-byte aligned float/int storage, as the CPU backend's buffers.
template <typename T>
struct Aligned {
    T* data = nullptr;
    explicit Aligned(size_t count) {
        const size_t bytes = (count * sizeof(T) + 63) / 64 * 64;
        data = static_cast<T*>(std::aligned_alloc(64, bytes == 0 ? 64 : bytes));
        if (data == nullptr) {
            std::fprintf(stderr, "backward_turns: out of memory (%zu bytes)\n", bytes);
            std::exit(2);
        }
        std::memset(data, 0, bytes);
    }
    ~Aligned() { std::free(data); }
    Aligned(const Aligned&) = delete;
    Aligned& operator=(const Aligned&) = delete;
};

void check(mp_status status) {
    if (status != MP_OK) {
        std::fprintf(stderr, "backward_turns: %s\n", mp_last_error());
        std::exit(1);
    }
}

void fill_uniform(float* x, size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    for (size_t i = 0; i < n; i++) x[i] = d(rng);
}

struct Layer {
    static constexpr int64_t batch = 100, n = 500, m = 784, max_k = 160;
    Aligned<float> dy{batch * n}, w{n * m}, x{batch * m}, dx{batch * m}, dw{n * m}, db{n};
    Aligned<int32_t> idx{batch * max_k};
    Aligned<float> val{batch * max_k}, dy_compact{batch * max_k}, w_compact{max_k * m}, dw_compact{max_k * m};
    std::vector<unsigned char> topk_ws, unified_ws, dw_ws;
    Layer() {
        fill_uniform(dy.data, batch * n, 1);
        fill_uniform(w.data, n * m, 2);
        fill_uniform(x.data, batch * m, 3);
        int64_t a = 0, b = 0, c = 0;
        check(mp_topk_abs_rows_workspace_size(n, max_k, &a));
        check(mp_topk_abs_unified_workspace_size(batch, n, max_k, &b));
        check(mp_sparse_backward_dw_workspace_size(batch, n, max_k, &c));
        topk_ws.resize((size_t)a);
        unified_ws.resize((size_t)b);
        dw_ws.resize((size_t)c);
    }

    void dense() {
        check(mp_sgemm_f32(0, 0, batch, m, n, 1.0f, dy.data, n, w.data, m, 0.0f, dx.data, m));
        check(mp_sgemm_f32(1, 0, n, m, batch, 1.0f, dy.data, n, x.data, m, 1.0f, dw.data, m));
        check(mp_col_sums_f32(dy.data, batch, n, n, db.data, 1));
    }

    void per_example(int64_t k) {
        check(mp_topk_abs_rows_f32(dy.data, batch, n, n, k, idx.data, k, val.data, k, topk_ws.data(),
                                   (int64_t)topk_ws.size()));
        check(mp_sparse_backward_f32(batch, n, m, k, idx.data, k, val.data, k, w.data, m, dx.data, m, x.data, m,
                                     dw.data, m, dw_ws.data(), (int64_t)dw_ws.size()));
        check(mp_col_sums_f32(dy.data, batch, n, n, db.data, 1));
    }

    void unified(int64_t k) {
        check(mp_topk_abs_unified_f32(dy.data, batch, n, n, k, idx.data, nullptr, unified_ws.data(),
                                      (int64_t)unified_ws.size()));
        check(mp_gather_cols_f32(dy.data, batch, n, n, idx.data, k, dy_compact.data, k));
        check(mp_gather_rows_f32(w.data, n, m, m, idx.data, k, w_compact.data, m));
        check(mp_sgemm_f32(0, 0, batch, m, k, 1.0f, dy_compact.data, k, w_compact.data, m, 0.0f, dx.data, m));
        check(mp_sgemm_f32(1, 0, k, m, batch, 1.0f, dy_compact.data, k, x.data, m, 0.0f, dw_compact.data, m));
        check(mp_scatter_add_rows_f32(dw_compact.data, k, m, m, idx.data, 1.0f, dw.data, n, m));
        check(mp_col_sums_f32(dy.data, batch, n, n, db.data, 1));
    }
};

struct Variant {
    std::string name;
    int64_t k;  // 0 for dense
    std::function<void()> run;
    std::vector<double> us;
};

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    const size_t i = (size_t)(p * (double)(v.size() - 1) + 0.5);
    return v[i];
}

int parse_int(int argc, char** argv, int& i, const char* flag) {
    if (i + 1 >= argc) {
        std::fprintf(stderr, "backward_turns: %s needs a value\n", flag);
        std::exit(2);
    }
    char* end = nullptr;
    const long v = std::strtol(argv[++i], &end, 10);
    if (*end != '\0' || v < 0 || v > 1000000) {
        std::fprintf(stderr, "backward_turns: %s = '%s' is not a count\n", flag, argv[i]);
        std::exit(2);
    }
    return (int)v;
}

}  // namespace

int main(int argc, char** argv) {
    int threads = 0, rounds = 200, turn = 8;
    for (int i = 1; i < argc; i++) {
        if (std::strcmp(argv[i], "--threads") == 0) threads = parse_int(argc, argv, i, "--threads");
        else if (std::strcmp(argv[i], "--rounds") == 0) rounds = parse_int(argc, argv, i, "--rounds");
        else if (std::strcmp(argv[i], "--turn") == 0) turn = parse_int(argc, argv, i, "--turn");
        else {
            std::fprintf(stderr, "usage: backward_turns [--threads N] [--rounds R] [--turn T]\n");
            return 2;
        }
    }
    if (rounds < 1 || turn < 2) {
        std::fprintf(stderr, "backward_turns: --rounds must be >= 1 and --turn >= 2\n");
        return 2;
    }
    if (threads > 0) check(mp_set_num_threads(threads));

    Layer layer;
    std::vector<Variant> variants;
    variants.push_back({"dense (SGEMM)", 0, [&] { layer.dense(); }, {}});
    for (int64_t k : {5, 10, 20, 40, 80, 160})
        variants.push_back({"top-" + std::to_string(k) + " per example", k, [&layer, k] { layer.per_example(k); }, {}});
    for (int64_t k : {5, 10, 20, 40, 80, 160})
        variants.push_back({"top-" + std::to_string(k) + " unified", k, [&layer, k] { layer.unified(k); }, {}});

    for (int r = 0; r <= rounds; r++) {  // round 0 warms up
        for (auto& v : variants) {
            v.run();
            for (int t = 1; t < turn; t++) {
                const auto start = std::chrono::steady_clock::now();
                v.run();
                const std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
                if (r > 0) v.us.push_back(took.count());
            }
        }
    }

    const double dense = percentile(variants[0].us, 0.5);
    std::printf("%s; threads %d; batch %lld, n %lld, m %lld; %d rounds of turns of %d calls (first unmeasured)\n\n",
                mp_build_info(), mp_get_num_threads(), (long long)Layer::batch, (long long)Layer::n,
                (long long)Layer::m, rounds, turn);
    std::printf("| variant | median us | p25 us | p75 us | speedup vs dense (medians) | ideal n/k |\n");
    std::printf("|---|---:|---:|---:|---:|---:|\n");
    for (const auto& v : variants) {
        const double med = percentile(v.us, 0.5);
        char ideal[32] = "";
        if (v.k > 0) std::snprintf(ideal, sizeof ideal, "%.1fx", (double)Layer::n / (double)v.k);
        std::printf("| %s | %.1f | %.1f | %.1f | %.2fx | %s |\n", v.name.c_str(), med, percentile(v.us, 0.25),
                    percentile(v.us, 0.75), dense / med, ideal);
    }
    return 0;
}
