# CUDA kernels are optional. MEPROP_CUDA=ON fails loudly when nvcc is unusable; AUTO builds them when it works.
set(MEPROP_WITH_CUDA OFF)
if(NOT MEPROP_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(MEPROP_WITH_CUDA ON)
  elseif(MEPROP_CUDA STREQUAL "ON")
    message(FATAL_ERROR "MEPROP_CUDA=ON but no working CUDA compiler was found (set CMAKE_CUDA_COMPILER, "
                        "and CMAKE_CUDA_HOST_COMPILER=g++-11 for nvcc 11.8)")
  endif()
endif()

file(GLOB MEPROP_CUDA_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/cuda/*.cu)
if(MEPROP_WITH_CUDA AND MEPROP_CUDA_SOURCES)
  # Default archs before enable_language (which would otherwise pick the compiler's default: 52 for nvcc 11.8,
  # 75 for nvcc 13). sm_80 (A100) and sm_90 (H100/H200); nvcc 11.8 knows both, nvcc 13 dropped only < 75.
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
    set(CMAKE_CUDA_ARCHITECTURES 80 90)
  endif()
  enable_language(CUDA)
  target_sources(meprop PRIVATE ${MEPROP_CUDA_SOURCES})
  # meprop was created before this file ran, so its CUDA_ARCHITECTURES took the variable's value of then (unset
  # unless given on the command line): without this, nvcc compiled for its default arch (52), below the sm_70
  # warp intrinsics the kernels use.
  set_property(TARGET meprop PROPERTY CUDA_ARCHITECTURES ${CMAKE_CUDA_ARCHITECTURES})
  string(REPLACE ";" "," MEPROP_CUDA_ARCHS_STR "${CMAKE_CUDA_ARCHITECTURES}")
  target_compile_definitions(meprop PRIVATE MEPROP_WITH_CUDA MEPROP_CUDA_ARCHS="${MEPROP_CUDA_ARCHS_STR}")
  set_target_properties(meprop PROPERTIES CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON CUDA_EXTENSIONS OFF
                                          CUDA_RUNTIME_LIBRARY Static CUDA_VISIBILITY_PRESET hidden)
  # Warnings: host side as for the C sources, device side all of nvcc's; errors unless MEPROP_CUDA_WERROR=OFF
  # (bench/gpu/run.sh turns it off: a new nvcc's new warning must not stop a benchmark run on a rented GPU).
  option(MEPROP_CUDA_WERROR "Treat nvcc and host-compiler warnings in the CUDA sources as errors" ON)
  set(MEPROP_CUDA_FLAGS -Xcompiler=-Wall,-Wextra -Xptxas=-warn-spills,-warn-lmem-usage)
  if(MEPROP_CUDA_WERROR)
    list(APPEND MEPROP_CUDA_FLAGS --Werror=all-warnings -Xcompiler=-Werror)
  endif()
  # The C/C++ warning flags set on meprop before this file is included are gcc/clang flags that nvcc rejects
  # ("-Werror=implicit-function-declaration", "-Wshadow", ...): keep them off the .cu compile lines, and give nvcc
  # its own. (Options added to meprop after include(cuda.cmake) should be wrapped the same way.)
  get_target_property(_mp_host_opts meprop COMPILE_OPTIONS)
  if(_mp_host_opts)
    set(_mp_wrapped "")
    foreach(_mp_opt IN LISTS _mp_host_opts)
      list(APPEND _mp_wrapped "$<$<NOT:$<COMPILE_LANGUAGE:CUDA>>:${_mp_opt}>")
    endforeach()
    set_property(TARGET meprop PROPERTY COMPILE_OPTIONS "${_mp_wrapped}")
  endif()
  target_compile_options(meprop PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:${MEPROP_CUDA_FLAGS}>)
  target_include_directories(meprop PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src/cuda)
  # The static runtime's own symbols stay inside libmeprop (another cudart in the process, e.g. PyTorch's, is
  # not disturbed); only the mp_* API is exported.
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    target_link_options(meprop PRIVATE "LINKER:--exclude-libs,ALL")
  endif()
  message(STATUS "libmeprop: CUDA kernels ON (${CMAKE_CUDA_COMPILER}, archs ${CMAKE_CUDA_ARCHITECTURES})")
  # The GPU microbenchmark (bench/gpu/topk_bench.cpp): C ABI only, so it needs neither Google Benchmark nor OpenBLAS
  # (bench/gpu/run.sh turns it on without MEPROP_BUILD_BENCH).
  option(MEPROP_BUILD_GPU_BENCH "Build bench/gpu/topk_bench (CUDA builds only)" ${MEPROP_BUILD_BENCH})
  if(MEPROP_BUILD_GPU_BENCH)
    add_executable(topk_bench ${PROJECT_SOURCE_DIR}/bench/gpu/topk_bench.cpp)
    target_link_libraries(topk_bench PRIVATE meprop)
  endif()
else()
  target_sources(meprop PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src/cuda/cuda_absent.c)
  message(STATUS "libmeprop: CUDA kernels OFF")
endif()
