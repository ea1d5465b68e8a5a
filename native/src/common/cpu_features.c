#include "internal.h"

#include <stdatomic.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>

static uint64_t read_xcr0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static uint32_t detect_features(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int has_fma = (c >> 12) & 1, has_osxsave = (c >> 27) & 1, has_avx = (c >> 28) & 1;
    if (!has_osxsave || !has_avx) return 0;
    const uint64_t xcr0 = read_xcr0();
    if ((xcr0 & 0x6) != 0x6) return 0; /* the OS saves XMM and YMM state */
    uint32_t features = has_fma ? MP_CPU_FMA : 0;
    if (__get_cpuid_max(0, NULL) >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        if ((b >> 5) & 1) features |= MP_CPU_AVX2;
        if (((b >> 16) & 1) && (xcr0 & 0xe6) == 0xe6) features |= MP_CPU_AVX512F;
    }
    return features;
}
#elif defined(_M_X64)
#include <intrin.h>
static uint32_t detect_features(void) {
    int r[4];
    __cpuid(r, 1);
    const int has_fma = (r[2] >> 12) & 1, has_osxsave = (r[2] >> 27) & 1, has_avx = (r[2] >> 28) & 1;
    if (!has_osxsave || !has_avx || (_xgetbv(0) & 0x6) != 0x6) return 0;
    uint32_t features = has_fma ? MP_CPU_FMA : 0;
    __cpuidex(r, 7, 0);
    if ((r[1] >> 5) & 1) features |= MP_CPU_AVX2;
    if (((r[1] >> 16) & 1) && (_xgetbv(0) & 0xe6) == 0xe6) features |= MP_CPU_AVX512F;
    return features;
}
#else
static uint32_t detect_features(void) { return 0; }
#endif

uint32_t mp_cpu_features(void) {
    static atomic_uint cached = 0xffffffffu;
    uint32_t f = atomic_load_explicit(&cached, memory_order_relaxed);
    if (f == 0xffffffffu) {
        f = detect_features();
        atomic_store_explicit(&cached, f, memory_order_relaxed);
    }
    return f;
}

static int cpu_has_avx2_fma(void) {
    const uint32_t f = mp_cpu_features();
    return (f & MP_CPU_AVX2) && (f & MP_CPU_FMA);
}

static atomic_int forced_isa = MP_ISA_AUTO;

#define MP_FN "mp_set_isa"
mp_status mp_set_isa(int32_t isa) {
    if (isa != MP_ISA_AUTO && isa != MP_ISA_SCALAR && isa != MP_ISA_AVX2)
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: isa = %d is not one of AUTO (0), SCALAR (1), AVX2 (2)", MP_FN, isa);
    if (isa == MP_ISA_AVX2 && !cpu_has_avx2_fma())
        return mp_fail(MP_ERR_UNSUPPORTED, "%s: isa = AVX2 but this CPU lacks AVX2+FMA", MP_FN);
    atomic_store(&forced_isa, isa);
    return mp_ok();
}
#undef MP_FN

int32_t mp_get_isa(void) {
    const int isa = atomic_load_explicit(&forced_isa, memory_order_relaxed);
    if (isa != MP_ISA_AUTO) return isa;
    return cpu_has_avx2_fma() ? MP_ISA_AVX2 : MP_ISA_SCALAR;
}

int mp_use_avx2(void) { return mp_get_isa() == MP_ISA_AVX2; }
