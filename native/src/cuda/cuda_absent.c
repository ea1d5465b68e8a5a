/* Built only when CUDA is off: the CUDA entry points exist in every build and say why they cannot run. */
#include "internal.h"

int32_t mp_cuda_device_count(void) { return 0; }
