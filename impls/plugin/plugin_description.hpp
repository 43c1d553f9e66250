#pragma once
// What a plugin says about itself (fc_plugin, fc_subject of flashcheck/backend.h), checked
// field by field, copied out of the plugin's memory, and translated into the
// Capabilities flashcheck grades a subject by. The worker checks and copies; the host
// receives the copy over the wire and translates it.
#include <cstdint>
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "core/byte_io.hpp"
#include "flashcheck/backend.h"

namespace flashcheck::plugin {

struct SubjectDescription {
  std::string name;
  std::string description;
  uint32_t q_dtypes = 0, kv_dtypes = 0, o_dtypes = 0;  // FC_DTYPE_BIT masks
  uint32_t features = 0;                               // fc_feature bits
  int64_t max_head_dim = 0;
  std::string kv_schemes;  // comma-separated, as the plugin wrote it
  uint32_t kv_layouts = 0;
  std::string contract;  // never empty: NULL or "" in the plugin means "fp32"
  std::string contract_note;
};

struct PluginDescription {
  std::string name;
  std::string version;
  std::vector<SubjectDescription> subjects;
};

// What is wrong with what flashcheck_plugin(FC_PLUGIN_ABI_VERSION) returned (NULL, another
// ABI version, a struct_size too small, a bad subject name or one used twice, unknown
// dtype or feature bits, an unknown contract or block scheme...), or "" when nothing is.
std::string plugin_problem(const fc_plugin* p);

// The copy of a plugin for which plugin_problem() is empty.
PluginDescription describe_plugin(const fc_plugin& p);

Capabilities capabilities_of(const SubjectDescription& s);

void write_description(ByteWriter& w, const PluginDescription& d);
// Throws ByteReadError for bytes that are not a description.
PluginDescription read_description(ByteReader& r);

}  // namespace flashcheck::plugin
