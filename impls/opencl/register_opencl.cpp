#include "impls/opencl/register_opencl.hpp"

#include <string>

#include "impls/opencl/fa_program.hpp"
#include "impls/opencl/opencl_backend.hpp"

namespace flashcheck {

void register_opencl_backends(Registry& r) {
  for (const opencl::FlagSet& f : opencl::flag_sets()) {
    const std::string name(f.backend_name);
    r.add(name, Registry::Factory(
                    [name](const std::string& mutant) { return opencl::make_opencl_backend(name, mutant); }));
  }
}

}  // namespace flashcheck
