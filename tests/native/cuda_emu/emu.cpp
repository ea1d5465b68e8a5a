// Fiber scheduler of the CUDA CPU emulation (see emu.hpp).
#include "emu.hpp"

#include <ucontext.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>

namespace emu {

dim3 g_block_idx, g_block_dim, g_grid_dim;

namespace {

constexpr size_t kStackBytes = 128 * 1024;

struct Fiber {
    ucontext_t ctx;
    dim3 idx;
    unsigned warp = 0;
    bool done = false;
};

struct Warp {
    unsigned alive = 0, arrived = 0;
    uint64_t gen = 0;
    uint64_t slots[32] = {};
    uint64_t snapshot[32] = {};
};

ucontext_t g_scheduler;
std::vector<Fiber> g_fibers;
std::vector<std::vector<char>> g_stacks;
std::vector<Warp> g_warps;
Fiber* g_current = nullptr;
const std::function<void()>* g_kernel = nullptr;
std::vector<unsigned char> g_smem;
unsigned g_alive = 0, g_arrived = 0;
uint64_t g_gen = 0;
uint64_t g_progress = 0;
std::mt19937 g_rng(12345);

enum class Order { Forward, Reverse, Random };
Order order_from_env() {
    const char* e = std::getenv("EMU_ORDER");
    const std::string s = e ? e : "";
    if (s == "reverse") return Order::Reverse;
    if (s == "random") return Order::Random;
    return Order::Forward;
}
const Order g_order = order_from_env();

void yield() { swapcontext(&g_current->ctx, &g_scheduler); }

void release_block_barrier_if_complete() {
    if (g_arrived > 0 && g_arrived == g_alive) {
        g_arrived = 0;
        ++g_gen;
        ++g_progress;
    }
}

void release_warp_if_complete(Warp& w) {
    if (w.arrived > 0 && w.arrived == w.alive) {
        std::memcpy(w.snapshot, w.slots, sizeof w.slots);
        w.arrived = 0;
        ++w.gen;
        ++g_progress;
    }
}

void fiber_main() {
    (*g_kernel)();
    Fiber* self = g_current;
    self->done = true;
    ++g_progress;
    --g_alive;
    release_block_barrier_if_complete();
    Warp& w = g_warps[self->warp];
    --w.alive;
    release_warp_if_complete(w);
    // returning resumes uc_link = the scheduler
}

} // namespace

const dim3& thread_idx() { return g_current->idx; }

void* dynamic_smem() { return g_smem.data(); }

void syncthreads() {
    const uint64_t gen = g_gen;
    ++g_arrived;
    ++g_progress;
    release_block_barrier_if_complete();
    do yield(); while (g_gen == gen);
}

const uint64_t* warp_exchange(uint64_t value) {
    Warp& w = g_warps[g_current->warp];
    const dim3& t = g_current->idx;
    const unsigned lane = (t.x + t.y * g_block_dim.x + t.z * g_block_dim.x * g_block_dim.y) & 31u;
    w.slots[lane] = value;
    const uint64_t gen = w.gen;
    ++w.arrived;
    ++g_progress;
    release_warp_if_complete(w);
    do yield(); while (w.gen == gen);
    return w.snapshot;
}

void Config::run(const std::function<void()>& kernel) {
    const unsigned threads = block_.x * block_.y * block_.z;
    if (threads == 0 || threads > 1024 || grid_.x == 0 || grid_.y == 0 || grid_.z == 0 || grid_.y > 65535 ||
        grid_.z > 65535) {
        std::fprintf(stderr, "emu: invalid launch configuration grid (%u,%u,%u) block (%u,%u,%u)\n", grid_.x, grid_.y,
                     grid_.z, block_.x, block_.y, block_.z);
        std::abort();
    }
    if (smem_ + 1200 > 48 * 1024) {
        std::fprintf(stderr, "emu: %zu bytes of dynamic shared memory exceed the 48 KiB default limit\n", smem_);
        std::abort();
    }
    g_kernel = &kernel;
    g_block_dim = block_;
    g_grid_dim = grid_;
    while (g_stacks.size() < threads) g_stacks.emplace_back(kStackBytes);
    g_fibers.assign(threads, Fiber());
    std::vector<unsigned> order(threads);
    for (unsigned i = 0; i < threads; ++i) order[i] = i;
    if (g_order == Order::Reverse) std::reverse(order.begin(), order.end());

    for (unsigned bz = 0; bz < grid_.z; ++bz)
        for (unsigned by = 0; by < grid_.y; ++by)
            for (unsigned bx = 0; bx < grid_.x; ++bx) {
                g_block_idx = dim3(bx, by, bz);
                g_smem.assign(smem_ + 16, 0xCD); // garbage, like real shared memory
                g_warps.assign((threads + 31) / 32, Warp());
                for (unsigned t = 0; t < threads; ++t) {
                    Fiber& f = g_fibers[t];
                    f.idx = dim3(t % block_.x, (t / block_.x) % block_.y, t / (block_.x * block_.y));
                    f.warp = t / 32;
                    f.done = false;
                    ++g_warps[f.warp].alive;
                    getcontext(&f.ctx);
                    f.ctx.uc_stack.ss_sp = g_stacks[t].data();
                    f.ctx.uc_stack.ss_size = kStackBytes;
                    f.ctx.uc_link = &g_scheduler;
                    makecontext(&f.ctx, fiber_main, 0);
                }
                g_alive = threads;
                g_arrived = 0;
                while (g_alive > 0) {
                    const uint64_t before = g_progress;
                    if (g_order == Order::Random) std::shuffle(order.begin(), order.end(), g_rng);
                    for (unsigned i : order) {
                        Fiber& f = g_fibers[i];
                        if (f.done) continue;
                        g_current = &f;
                        swapcontext(&g_scheduler, &f.ctx);
                    }
                    if (g_progress == before) {
                        std::fprintf(stderr, "emu: deadlock in block (%u,%u,%u): %u threads wait at a barrier that "
                                             "the others never reach\n", bx, by, bz, g_alive);
                        std::abort();
                    }
                }
            }
    g_current = nullptr;
}

} // namespace emu
