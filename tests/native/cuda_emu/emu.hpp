// A tiny CPU emulation of the CUDA subset libmeprop's kernels use, so that their LOGIC (radix select, scans,
// bitonic sort, the dW pipeline, index arithmetic) can be tested on a machine without a GPU. It is not a
// performance model and not a memory model: every CUDA thread is a fiber (ucontext), blocks run one after the
// other, threads of a block switch only at __syncthreads and at warp intrinsics (which are warp barriers here).
// Running each barrier phase with the fibers in forward AND reverse order (EMU_ORDER=reverse) exposes reads of
// data that another thread writes in the same phase (a missing __syncthreads).
//
// Used by tests/native/cuda_emu/run.sh only: the .cu files are rewritten (kernel<<<cfg>>>(args) ->
// emu::Config(cfg).run(...), extern __shared__ -> a per-launch buffer) and compiled with g++ with this header
// force-included. Never part of libmeprop.
#pragma once

#include <cmath>
#include <math.h>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

namespace emu {

struct dim3v {
    unsigned x, y, z;
};

} // namespace emu

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
    dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

typedef void* cudaStream_t;

namespace emu {

struct ThreadState {
    dim3 idx;
};

const dim3& thread_idx();
extern dim3 g_block_idx, g_block_dim, g_grid_dim;
void* dynamic_smem();

void syncthreads();
// Warp exchange: every lane of the calling warp publishes `value`, waits for the warp, and gets all 32 values.
const uint64_t* warp_exchange(uint64_t value);

class Config {
  public:
    Config(dim3 grid, dim3 block, size_t smem = 0, cudaStream_t stream = nullptr)
        : grid_(grid), block_(block), smem_(smem) { (void)stream; }
    void run(const std::function<void()>& kernel);

  private:
    dim3 grid_, block_;
    size_t smem_;
};

} // namespace emu

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define threadIdx (::emu::thread_idx())
#define blockIdx (::emu::g_block_idx)
#define blockDim (::emu::g_block_dim)
#define gridDim (::emu::g_grid_dim)

inline void __syncthreads() { ::emu::syncthreads(); }

inline unsigned __emu_lane() {
    const dim3& t = threadIdx;
    return (t.x + t.y * blockDim.x + t.z * blockDim.x * blockDim.y) & 31u;
}

inline uint32_t __shfl_up_sync(unsigned mask, uint32_t v, unsigned offset) {
    (void)mask;
    const uint64_t* all = ::emu::warp_exchange(v);
    const unsigned lane = __emu_lane();
    return lane >= offset ? (uint32_t)all[lane - offset] : v;
}

inline unsigned __match_any_sync(unsigned mask, uint32_t v) {
    (void)mask;
    const uint64_t* all = ::emu::warp_exchange(v);
    unsigned peers = 0;
    for (unsigned l = 0; l < 32; ++l)
        if ((uint32_t)all[l] == v) peers |= 1u << l;
    return peers;
}

inline int __popc(unsigned v) { return __builtin_popcount(v); }
inline int __ffs(unsigned v) { return __builtin_ffs((int)v); }
inline uint32_t __float_as_uint(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
// Round-to-nearest float arithmetic that nvcc never contracts into an FMA (the host compiler here does not contract
// without -mfma/-ffp-contract, so plain operators are the same thing).
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }

// Fibers never run concurrently: plain read-modify-write is atomic here.
template <class T>
inline T atomicAdd(T* p, T v) {
    const T old = *p;
    *p = old + v;
    return old;
}

// ---- the runtime API subset ----
typedef enum cudaError {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInsufficientDriver = 35,
    cudaErrorNoDevice = 100,
} cudaError_t;

enum cudaMemcpyKind { cudaMemcpyHostToHost = 0, cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2 };

struct cudaDeviceProp {
    char name[256];
    size_t totalGlobalMem;
    int major, minor;
};

#define CUDART_VERSION 11080

inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline const char* cudaGetErrorName(cudaError_t e) { return e == cudaSuccess ? "cudaSuccess" : "cudaErrorEmulated"; }
inline const char* cudaGetErrorString(cudaError_t) { return "emulated"; }
inline cudaError_t cudaGetDeviceCount(int* n) { *n = 1; return cudaSuccess; }
inline cudaError_t cudaSetDevice(int) { return cudaSuccess; }
inline cudaError_t cudaDriverGetVersion(int* v) { *v = 12020; return cudaSuccess; }
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int) {
    std::strcpy(p->name, "CPU emulation");
    p->totalGlobalMem = (size_t)1 << 30;
    p->major = 9;
    p->minor = 0;
    return cudaSuccess;
}
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaMalloc(void** p, size_t bytes) {
    *p = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
    return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
inline cudaError_t cudaFree(void* p) { std::free(p); return cudaSuccess; }
inline cudaError_t cudaMemcpy(void* d, const void* s, size_t n, cudaMemcpyKind) { std::memcpy(d, s, n); return cudaSuccess; }
inline cudaError_t cudaMemsetAsync(void* d, int v, size_t n, cudaStream_t) { std::memset(d, v, n); return cudaSuccess; }
