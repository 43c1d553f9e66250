#include "impls/models/register_models.hpp"

#include "impls/models/esimd_splitkv/esimd_splitkv.hpp"
#include "impls/models/hexagon_hmx/hexagon_hmx.hpp"
#include "impls/models/metal_steel/metal_steel.hpp"

namespace flashcheck {

void register_model_backends(Registry& r) {
  r.add(models::kMetalSteelName, Registry::Factory([](const std::string& m) { return models::make_metal_steel_backend(m); }));
  r.add(models::kEsimdSplitKvName,
        Registry::Factory([](const std::string& m) { return models::make_esimd_splitkv_backend(m); }));
  r.add(models::kHexagonHmxName,
        Registry::Factory([](const std::string& m) { return models::make_hexagon_hmx_backend(m); }));
}

}  // namespace flashcheck
