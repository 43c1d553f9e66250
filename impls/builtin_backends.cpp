#include "impls/builtin_backends.hpp"

#include "impls/cpu_scalar/register_cpu_scalar.hpp"
#include "impls/cpu_simd/register_cpu_simd.hpp"
#include "impls/cpu_splitkv/register_cpu_splitkv.hpp"
#include "impls/cpu_textbook/cpu_textbook.hpp"
#include "impls/cuda/register_cuda.hpp"
#include "impls/models/register_models.hpp"
#ifdef FLASHCHECK_HAS_OPENCL
#include "impls/opencl/register_opencl.hpp"
#endif

namespace flashcheck {

void register_builtin_backends(Registry& r) {
  r.add(kCpuTextbookName, [] { return make_cpu_textbook_backend(); });
  register_cpu_scalar_backends(r);
  register_cpu_splitkv_backends(r);
  register_cpu_simd_backends(r);
#ifdef FLASHCHECK_HAS_OPENCL
  register_opencl_backends(r);
#endif
  register_cuda_backends(r);
  register_model_backends(r);
}

Registry& builtin_registry() {
  static Registry registry = [] {
    Registry r;
    register_builtin_backends(r);
    return r;
  }();
  return registry;
}

}  // namespace flashcheck
