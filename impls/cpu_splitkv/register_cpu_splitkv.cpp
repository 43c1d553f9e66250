#include "impls/cpu_splitkv/register_cpu_splitkv.hpp"

#include "impls/cpu_splitkv/cpu_splitkv.hpp"

namespace flashcheck {

void register_cpu_splitkv_backends(Registry& r) {
  for (const SplitKvConfig& config : registered_splitkv_configs())
    r.add(config.name, Registry::Factory([config](const std::string& mutant) {
            return make_cpu_splitkv_backend(config, mutant);
          }));
}

}  // namespace flashcheck
