/* CUDA runtime plumbing: device discovery, synchronization and plain memory helpers for tests and tools. */
#include "cuda_common.cuh"

#include <string.h>

using namespace mpcuda;

extern "C" {

int32_t mp_cuda_device_count(void) {
    int count = 0;
    /* No driver (cudaErrorInsufficientDriver), no device (cudaErrorNoDevice), a driver without its kernel module
     * (cudaErrorUnknown / cudaErrorOperatingSystem ...): all mean "no usable device" here. */
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
        (void)cudaGetLastError(); /* do not leave the error for the next caller's launch check */
        return 0;
    }
    return count < 0 ? 0 : (int32_t)count;
}

mp_status mp_cuda_set_device(int32_t device) {
#define MP_FN "mp_cuda_set_device"
    const int32_t count = mp_cuda_device_count();
    if (device < 0 || device >= count)
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: device = %d is out of range [0, %d)", MP_FN, (int)device, (int)count);
    const cudaError_t err = cudaSetDevice(device);
    if (err != cudaSuccess) return fail_cuda(err, MP_FN, "cudaSetDevice");
    return mp_ok();
#undef MP_FN
}

mp_status mp_cuda_device_info(int32_t device, char* name, int64_t name_bytes, int32_t* cc_major, int32_t* cc_minor,
                              int64_t* total_bytes) {
#define MP_FN "mp_cuda_device_info"
    const int32_t count = mp_cuda_device_count();
    if (device < 0 || device >= count)
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: device = %d is out of range [0, %d)", MP_FN, (int)device, (int)count);
    if (name != NULL && name_bytes < 1)
        return mp_fail(MP_ERR_INVALID_ARGUMENT, "%s: name_bytes = %lld must be >= 1", MP_FN, (long long)name_bytes);
    cudaDeviceProp prop;
    memset(&prop, 0, sizeof prop);
    cudaError_t err = cudaGetDeviceProperties(&prop, device);
    if (err != cudaSuccess) return fail_cuda(err, MP_FN, "cudaGetDeviceProperties");
    if (name != NULL) {
        const size_t len = strnlen(prop.name, sizeof prop.name);
        const size_t n = len < (size_t)(name_bytes - 1) ? len : (size_t)(name_bytes - 1);
        memcpy(name, prop.name, n);
        name[n] = '\0';
    }
    if (cc_major != NULL) *cc_major = prop.major;
    if (cc_minor != NULL) *cc_minor = prop.minor;
    if (total_bytes != NULL) *total_bytes = (int64_t)prop.totalGlobalMem;
    return mp_ok();
#undef MP_FN
}

mp_status mp_cuda_versions(int32_t* runtime_version, int32_t* driver_version) {
#define MP_FN "mp_cuda_versions"
    const int rt = CUDART_VERSION; /* the runtime is linked statically: the version it was built with */
    int drv = 0;
    if (cudaDriverGetVersion(&drv) != cudaSuccess) drv = 0; /* 0 when no driver is installed */
    (void)cudaGetLastError();
    if (runtime_version != NULL) *runtime_version = rt;
    if (driver_version != NULL) *driver_version = drv;
    return mp_ok();
#undef MP_FN
}

mp_status mp_cuda_synchronize(void* stream) {
#define MP_FN "mp_cuda_synchronize"
    const cudaError_t err = cudaStreamSynchronize(as_stream(stream));
    if (err != cudaSuccess) return fail_cuda(err, MP_FN, "cudaStreamSynchronize");
    return mp_ok();
#undef MP_FN
}

mp_status mp_cuda_malloc(void** ptr, int64_t bytes) {
#define MP_FN "mp_cuda_malloc"
    MP_CHECK_PTR(ptr);
    MP_CHECK_POSITIVE(bytes);
    *ptr = NULL;
    const cudaError_t err = cudaMalloc(ptr, (size_t)bytes);
    if (err == cudaErrorMemoryAllocation) {
        (void)cudaGetLastError();
        return mp_fail(MP_ERR_OUT_OF_MEMORY, "%s: cudaMalloc of %lld bytes failed: %s", MP_FN, (long long)bytes,
                       cudaGetErrorName(err));
    }
    if (err != cudaSuccess) return fail_cuda(err, MP_FN, "cudaMalloc");
    return mp_ok();
#undef MP_FN
}

mp_status mp_cuda_free(void* ptr) {
#define MP_FN "mp_cuda_free"
    if (ptr == NULL) return mp_ok();
    const cudaError_t err = cudaFree(ptr);
    if (err != cudaSuccess) return fail_cuda(err, MP_FN, "cudaFree");
    return mp_ok();
#undef MP_FN
}

mp_status mp_cuda_memcpy_htod(void* dst_device, const void* src_host, int64_t bytes) {
#define MP_FN "mp_cuda_memcpy_htod"
    MP_CHECK_PTR(dst_device);
    MP_CHECK_PTR(src_host);
    MP_CHECK_POSITIVE(bytes);
    const cudaError_t err = cudaMemcpy(dst_device, src_host, (size_t)bytes, cudaMemcpyHostToDevice);
    if (err != cudaSuccess) return fail_cuda(err, MP_FN, "cudaMemcpy");
    return mp_ok();
#undef MP_FN
}

mp_status mp_cuda_memcpy_dtoh(void* dst_host, const void* src_device, int64_t bytes) {
#define MP_FN "mp_cuda_memcpy_dtoh"
    MP_CHECK_PTR(dst_host);
    MP_CHECK_PTR(src_device);
    MP_CHECK_POSITIVE(bytes);
    const cudaError_t err = cudaMemcpy(dst_host, src_device, (size_t)bytes, cudaMemcpyDeviceToHost);
    if (err != cudaSuccess) return fail_cuda(err, MP_FN, "cudaMemcpy");
    return mp_ok();
#undef MP_FN
}

} /* extern "C" */
