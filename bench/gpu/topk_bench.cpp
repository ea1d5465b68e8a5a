// GPU microbenchmark of libmeprop's CUDA kernels, through the C ABI only (no CUDA headers: built by CMake with the
// host compiler when MEPROP_BUILD_GPU_BENCH=ON, see native/cuda.cmake). For each shape it times, per call:
//   topk_fused    mp_cuda_topk_abs_rows_f32 with values (indices + ELL values in one kernel)
//   topk_idx      the same without values
//   topk_unfused  indices only, then mp_cuda_gather_cols_rows_f32 (the unfused path)
//   unified       mp_cuda_topk_abs_unified_f32 (column |x| sums + one select)
//   randk         mp_cuda_randk_rows
//   dx            mp_cuda_sparse_backward_dx_f32 (m = n_in)
//   dw_sorted     mp_cuda_sparse_backward_dw_f32, MP_CUDA_DW_SORTED
//   dw_atomic     mp_cuda_sparse_backward_dw_f32, MP_CUDA_DW_ATOMIC
// Timing: `iters` back-to-back launches on the default stream between two mp_cuda_synchronize calls, wall clock
// (so launch overhead is included, as in training), after warm-up; the best of `reps` repetitions is reported.
// Output: one JSON document on stdout (and a table on stderr).
//   topk_bench [--iters N] [--reps R] [--m M] [--quick] [--shapes ROWSxNxK,...]
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

void die(const char* what) {
    std::fprintf(stderr, "topk_bench: %s failed: %s\n", what, mp_last_error());
    std::exit(1);
}

void* device_alloc(int64_t bytes) {
    void* p = nullptr;
    if (mp_cuda_malloc(&p, bytes < 1 ? 1 : bytes) != MP_OK) die("mp_cuda_malloc");
    return p;
}

double time_us(const std::function<mp_status()>& launch, int iters, int reps) {
    for (int i = 0; i < 3; ++i)
        if (launch() != MP_OK) die("warm-up launch");
    if (mp_cuda_synchronize(nullptr) != MP_OK) die("mp_cuda_synchronize");
    double best = 1e300;
    for (int r = 0; r < reps; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < iters; ++i)
            if (launch() != MP_OK) die("launch");
        if (mp_cuda_synchronize(nullptr) != MP_OK) die("mp_cuda_synchronize");
        const auto t1 = std::chrono::steady_clock::now();
        best = std::min(best, std::chrono::duration<double, std::micro>(t1 - t0).count() / iters);
    }
    return best;
}

struct Shape {
    int64_t rows, n, k;
};

} // namespace

int main(int argc, char** argv) {
    int iters = 50, reps = 5;
    int64_t m = 500;
    bool quick = false;
    std::vector<Shape> custom;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--iters" && i + 1 < argc) iters = std::atoi(argv[++i]);
        else if (a == "--reps" && i + 1 < argc) reps = std::atoi(argv[++i]);
        else if (a == "--m" && i + 1 < argc) m = std::atoll(argv[++i]);
        else if (a == "--quick") quick = true;
        else if (a == "--shapes" && i + 1 < argc) {
            const std::string list = argv[++i];
            size_t pos = 0;
            while (pos < list.size()) {
                size_t end = list.find(',', pos);
                if (end == std::string::npos) end = list.size();
                long long r = 0, n = 0, k = 0;
                if (std::sscanf(list.substr(pos, end - pos).c_str(), "%lldx%lldx%lld", &r, &n, &k) != 3 || r < 1 || n < 1 ||
                    k < 1 || k > n) {
                    std::fprintf(stderr, "topk_bench: bad shape '%s' (want ROWSxNxK, 1 <= k <= n)\n",
                                 list.substr(pos, end - pos).c_str());
                    return 2;
                }
                custom.push_back({r, n, k});
                pos = end + 1;
            }
        } else {
            std::fprintf(stderr, "usage: topk_bench [--iters N] [--reps R] [--m M] [--quick] [--shapes ROWSxNxK,...]\n");
            return 2;
        }
    }
    if (mp_cuda_device_count() < 1) {
        std::fprintf(stderr, "topk_bench: no CUDA device (%s)\n", mp_build_info());
        return 3;
    }
    char name[256] = "";
    int32_t major = 0, minor = 0, runtime = 0, driver = 0;
    int64_t total = 0;
    if (mp_cuda_device_info(0, name, sizeof name, &major, &minor, &total) != MP_OK) die("mp_cuda_device_info");
    mp_cuda_versions(&runtime, &driver);

    // meProp shapes (MNIST MLP: batch 32..128, hidden 500, k 5..80) up to the large end of the tuned range.
    std::vector<Shape> shapes = {{32, 500, 20},     {128, 500, 20},     {128, 500, 80},   {1024, 2048, 64},
                                 {4096, 1024, 32},  {256, 8192, 256},   {256, 10240, 1024}, {64, 16384, 128},
                                 {64, 65536, 1024}, {4096, 65536, 1024}};
    if (quick) shapes = {{32, 500, 20}, {256, 8192, 256}, {64, 65536, 1024}};
    if (!custom.empty()) shapes = custom;

    std::printf("{\n  \"device\": \"%s\", \"compute_capability\": \"%d.%d\", \"cuda_runtime\": %d, \"cuda_driver\": %d,\n",
                name, (int)major, (int)minor, (int)runtime, (int)driver);
    std::printf("  \"build\": \"%s\", \"iters\": %d, \"reps\": %d, \"m\": %lld,\n  \"results\": [\n", mp_build_info(), iters,
                reps, (long long)m);
    std::fprintf(stderr, "%-22s %10s %10s %10s %10s %10s %10s %10s %10s  (us per call)\n", "rows x n, k", "fused", "idx",
                 "unfused", "unified", "randk", "dx", "dw_sorted", "dw_atomic");

    std::mt19937 rng(1);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (size_t s = 0; s < shapes.size(); ++s) {
        const Shape sh = shapes[s];
        const int64_t rows = sh.rows, n = sh.n, k = sh.k;
        std::vector<float> host((size_t)(rows * n));
        for (float& v : host) v = dist(rng);
        float* x = static_cast<float*>(device_alloc(rows * n * 4));
        if (mp_cuda_memcpy_htod(x, host.data(), rows * n * 4) != MP_OK) die("upload");
        int32_t* idx = static_cast<int32_t*>(device_alloc(rows * k * 4));
        float* val = static_cast<float*>(device_alloc(rows * k * 4));
        float* sums = static_cast<float*>(device_alloc(n * 4));
        // dx / dW operands: W is n x m, x_in is rows x m.
        float* w = static_cast<float*>(device_alloc(n * m * 4));
        float* xin = static_cast<float*>(device_alloc(rows * m * 4));
        float* dx = static_cast<float*>(device_alloc(rows * m * 4));
        float* dw = static_cast<float*>(device_alloc(n * m * 4));
        mp_cuda_fill_f32(w, n, m, m, 0.01f, nullptr);
        mp_cuda_fill_f32(xin, rows, m, m, 0.02f, nullptr);
        mp_cuda_fill_f32(dw, n, m, m, 0.0f, nullptr);
        int64_t ws_bytes = 0;
        if (mp_cuda_sparse_backward_dw_workspace_size(rows, n, k, MP_CUDA_DW_SORTED, &ws_bytes) != MP_OK) die("ws size");
        void* ws = device_alloc(ws_bytes);
        if (mp_cuda_topk_abs_rows_f32(x, rows, n, n, k, idx, k, val, k, nullptr, 0, nullptr) != MP_OK) die("topk");

        const double fused = time_us([&] { return mp_cuda_topk_abs_rows_f32(x, rows, n, n, k, idx, k, val, k, nullptr, 0, nullptr); }, iters, reps);
        const double idx_only = time_us([&] { return mp_cuda_topk_abs_rows_f32(x, rows, n, n, k, idx, k, nullptr, 0, nullptr, 0, nullptr); }, iters, reps);
        const double unfused = time_us([&] {
            const mp_status st = mp_cuda_topk_abs_rows_f32(x, rows, n, n, k, idx, k, nullptr, 0, nullptr, 0, nullptr);
            return st != MP_OK ? st : mp_cuda_gather_cols_rows_f32(x, rows, n, n, idx, k, k, val, k, nullptr);
        }, iters, reps);
        const double unified = time_us([&] { return mp_cuda_topk_abs_unified_f32(x, rows, n, n, k, idx, sums, nullptr, 0, nullptr); }, iters, reps);
        const double randk = time_us([&] { return mp_cuda_randk_rows(rows, n, k, 7, 0, idx, k, nullptr, 0, nullptr); }, iters, reps);
        // restore a top-k pattern for the backward kernels
        if (mp_cuda_topk_abs_rows_f32(x, rows, n, n, k, idx, k, val, k, nullptr, 0, nullptr) != MP_OK) die("topk");
        const double t_dx = time_us([&] { return mp_cuda_sparse_backward_dx_f32(rows, n, m, k, idx, k, val, k, w, m, dx, m, nullptr); }, iters, reps);
        const double t_dws = time_us([&] {
            return mp_cuda_sparse_backward_dw_f32(rows, n, m, k, idx, k, val, k, xin, m, dw, m, MP_CUDA_DW_SORTED, ws, ws_bytes, nullptr);
        }, iters, reps);
        const double t_dwa = time_us([&] {
            return mp_cuda_sparse_backward_dw_f32(rows, n, m, k, idx, k, val, k, xin, m, dw, m, MP_CUDA_DW_ATOMIC, nullptr, 0, nullptr);
        }, iters, reps);

        std::printf("    {\"rows\": %lld, \"n\": %lld, \"k\": %lld, \"topk_fused_us\": %.3f, \"topk_idx_us\": %.3f, "
                    "\"topk_unfused_us\": %.3f, \"unified_us\": %.3f, \"randk_us\": %.3f, \"dx_us\": %.3f, "
                    "\"dw_sorted_us\": %.3f, \"dw_atomic_us\": %.3f}%s\n",
                    (long long)rows, (long long)n, (long long)k, fused, idx_only, unfused, unified, randk, t_dx, t_dws,
                    t_dwa, s + 1 < shapes.size() ? "," : "");
        char label[64];
        std::snprintf(label, sizeof label, "%lldx%lld, k=%lld", (long long)rows, (long long)n, (long long)k);
        std::fprintf(stderr, "%-22s %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f\n", label, fused, idx_only,
                     unfused, unified, randk, t_dx, t_dws, t_dwa);
        for (void* p : {(void*)x, (void*)idx, (void*)val, (void*)sums, (void*)w, (void*)xin, (void*)dx, (void*)dw, ws})
            mp_cuda_free(p);
    }
    std::printf("  ]\n}\n");
    return 0;
}
