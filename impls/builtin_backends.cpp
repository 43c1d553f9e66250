#include "impls/builtin_backends.hpp"

#include "impls/cpu_textbook/cpu_textbook.hpp"

namespace flashcheck {

void register_builtin_backends(Registry& r) {
  r.add(kCpuTextbookName, [] { return make_cpu_textbook_backend(); });
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
