# Finds the ggml that ci/setup-ggml.sh built from the pinned llama-cpp-python sdist, and
# defines the target flashcheck_ggml_libs (its shared libraries plus public and internal
# headers) when it is there. The third-party source stays in the cache, never in the tree.
#
#   FLASHCHECK_GGML       AUTO (use it when found), ON (fail without it), OFF (never)
#   FLASHCHECK_GGML_ROOT  the cache directory; default
#                         ${FLASHCHECK_CACHE:-$HOME/.cache/flashcheck}/ggml/<pinned version>
set(FLASHCHECK_GGML AUTO CACHE STRING "Build the ggml subject and tests against ci/setup-ggml.sh's cache: AUTO, ON or OFF")
set_property(CACHE FLASHCHECK_GGML PROPERTY STRINGS AUTO ON OFF)

file(READ "${CMAKE_CURRENT_LIST_DIR}/PINNED_VERSION" FLASHCHECK_GGML_VERSION)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${CMAKE_CURRENT_LIST_DIR}/PINNED_VERSION")
string(STRIP "${FLASHCHECK_GGML_VERSION}" FLASHCHECK_GGML_VERSION)

# The default follows the pin, so it is not cached; an explicit root is.
set(FLASHCHECK_GGML_ROOT "" CACHE PATH "ggml built by ci/setup-ggml.sh (lib/, src/, stamp); empty: the default cache")
if(FLASHCHECK_GGML_ROOT)
  set(_fc_ggml_root "${FLASHCHECK_GGML_ROOT}")
elseif(DEFINED ENV{FLASHCHECK_CACHE})
  set(_fc_ggml_root "$ENV{FLASHCHECK_CACHE}/ggml/${FLASHCHECK_GGML_VERSION}")
else()
  set(_fc_ggml_root "$ENV{HOME}/.cache/flashcheck/ggml/${FLASHCHECK_GGML_VERSION}")
endif()

set(_fc_ggml_src "${_fc_ggml_root}/src/ggml")
set(_fc_ggml_lib "${_fc_ggml_root}/lib")

set(FLASHCHECK_GGML_FOUND FALSE)
if(NOT FLASHCHECK_GGML STREQUAL "OFF")
  if(EXISTS "${_fc_ggml_root}/stamp" AND EXISTS "${_fc_ggml_src}/include/ggml.h"
     AND EXISTS "${_fc_ggml_lib}/libggml-base.so" AND EXISTS "${_fc_ggml_lib}/libggml-cpu.so")
    set(FLASHCHECK_GGML_FOUND TRUE)
  elseif(FLASHCHECK_GGML STREQUAL "ON")
    message(FATAL_ERROR "FLASHCHECK_GGML=ON but ${_fc_ggml_root} holds no complete ggml build: "
                        "run `bash ci/setup-ggml.sh` (or set FLASHCHECK_GGML_ROOT)")
  else()
    message(STATUS "ggml: not found in ${_fc_ggml_root} (run `bash ci/setup-ggml.sh` for the ggml subject and tests)")
  endif()
endif()

if(FLASHCHECK_GGML_FOUND AND NOT TARGET flashcheck_ggml_libs)
  message(STATUS "ggml: llama-cpp-python ${FLASHCHECK_GGML_VERSION} from ${_fc_ggml_root}")
  add_library(flashcheck_ggml_libs INTERFACE)
  # SYSTEM: ggml's headers are not held to our warning flags. src/ and src/ggml-cpu/ hold
  # the internal headers (ggml-impl.h, ggml-quants.h) the quantizer tests need.
  target_include_directories(flashcheck_ggml_libs SYSTEM INTERFACE "${_fc_ggml_src}/include" "${_fc_ggml_src}/src")
  target_link_libraries(flashcheck_ggml_libs INTERFACE "${_fc_ggml_lib}/libggml-cpu.so" "${_fc_ggml_lib}/libggml-base.so")
  set(FLASHCHECK_GGML_LIB_DIR "${_fc_ggml_lib}" CACHE INTERNAL "Directory of the cached libggml*.so")
endif()

# ggml's CUDA backend, built from the same pinned source with GGML_CUDA=ON by
# ci/gpu-ggml-cuda.sh into a root of the same layout (lib/, src/ggml, stamp). It must be
# the FLASHCHECK_GGML_ROOT too: the CPU and CUDA plugins then share one libggml-base.
set(FLASHCHECK_GGML_CUDA_ROOT "" CACHE PATH "ggml built with GGML_CUDA=ON by ci/gpu-ggml-cuda.sh (lib/libggml-cuda.so); empty: none")
if(FLASHCHECK_GGML_CUDA_ROOT AND FLASHCHECK_GGML_FOUND AND NOT TARGET flashcheck_ggml_cuda_libs)
  get_filename_component(_fc_cuda_root "${FLASHCHECK_GGML_CUDA_ROOT}" REALPATH)
  get_filename_component(_fc_cpu_root "${_fc_ggml_root}" REALPATH)
  if(NOT EXISTS "${_fc_cuda_root}/lib/libggml-cuda.so")
    message(FATAL_ERROR "FLASHCHECK_GGML_CUDA_ROOT=${FLASHCHECK_GGML_CUDA_ROOT} has no lib/libggml-cuda.so: "
                        "run `bash ci/gpu-ggml-cuda.sh` on a machine with nvcc")
  endif()
  if(NOT _fc_cuda_root STREQUAL _fc_cpu_root)
    message(FATAL_ERROR "FLASHCHECK_GGML_CUDA_ROOT (${_fc_cuda_root}) must equal FLASHCHECK_GGML_ROOT (${_fc_cpu_root}): "
                        "both plugins must load the same libggml-base")
  endif()
  message(STATUS "ggml: CUDA backend from ${_fc_cuda_root}")
  add_library(flashcheck_ggml_cuda_libs INTERFACE)
  target_link_libraries(flashcheck_ggml_cuda_libs INTERFACE "${_fc_cuda_root}/lib/libggml-cuda.so" flashcheck_ggml_libs)
endif()
