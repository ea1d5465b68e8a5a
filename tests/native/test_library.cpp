#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "meprop.h"

TEST(Library, BuildInfoNamesTheLibrary) {
    EXPECT_NE(std::string(mp_build_info()).find("libmeprop"), std::string::npos);
    EXPECT_EQ(mp_abi_version(), MP_ABI_VERSION);
}

TEST(Library, IsaCanBeForcedToScalarAndBack) {
    ASSERT_EQ(mp_set_isa(MP_ISA_SCALAR), MP_OK);
    EXPECT_EQ(mp_get_isa(), MP_ISA_SCALAR);
    ASSERT_EQ(mp_set_isa(MP_ISA_AUTO), MP_OK);
    const bool avx2 = (mp_cpu_features() & MP_CPU_AVX2) && (mp_cpu_features() & MP_CPU_FMA);
    EXPECT_EQ(mp_get_isa(), avx2 ? MP_ISA_AVX2 : MP_ISA_SCALAR);
}

TEST(Library, UnknownIsaIsRejectedWithAMessage) {
    EXPECT_EQ(mp_set_isa(7), MP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(mp_last_error()).find("isa = 7"), std::string::npos);
}

TEST(Library, ThreadCountIsValidated) {
    const int32_t before = mp_get_num_threads();
    EXPECT_EQ(mp_set_num_threads(0), MP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(mp_last_error()).find("threads = 0"), std::string::npos);
    ASSERT_EQ(mp_set_num_threads(3), MP_OK);
    EXPECT_EQ(mp_get_num_threads(), 3);
    ASSERT_EQ(mp_set_num_threads(before), MP_OK);
}

TEST(Library, CudaDeviceCountNeverFails) {
    EXPECT_GE(mp_cuda_device_count(), 0);
}
