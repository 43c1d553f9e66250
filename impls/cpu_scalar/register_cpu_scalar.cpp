#include "impls/cpu_scalar/register_cpu_scalar.hpp"

#include <string>

#include "impls/cpu_scalar/cpu_scalar_backends.hpp"

namespace flashcheck {

void register_cpu_scalar_backends(Registry& r) {
  for (cpu_scalar::Variant v : cpu_scalar::all_variants())
    r.add(std::string(cpu_scalar::variant_name(v)),
          Registry::Factory([v](const std::string& mutant) { return cpu_scalar::make_backend(v, mutant); }));
}

}  // namespace flashcheck
