#include "core/case_file_naming.hpp"

#include "core/backend.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/case_json.hpp"

namespace flashcheck {
namespace {

constexpr size_t kMaxSlugLength = 48;
constexpr int kMaxNameVariants = 100;

bool slug_char(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'; }

std::optional<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

}  // namespace

std::string file_name_slug(std::string_view text, std::string_view fallback) {
  std::string out;
  bool gap = false;
  for (char raw : text) {
    const char ch = raw >= 'A' && raw <= 'Z' ? static_cast<char>(raw - 'A' + 'a') : raw;
    if (!slug_char(ch)) {
      gap = true;
      continue;
    }
    if (gap && !out.empty()) out += '-';
    gap = false;
    out += ch;
  }
  if (out.size() > kMaxSlugLength) out.resize(kMaxSlugLength);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? std::string(fallback) : out;
}

std::string content_hash8(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a offset basis and prime
  for (char ch : text) {
    h ^= static_cast<unsigned char>(ch);
    h *= 0x100000001b3ull;
  }
  return fmt::format("{:08x}", static_cast<uint32_t>(h ^ (h >> 32)));
}

std::string shell_quote(std::string_view arg) {
  const auto safe = [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           std::string_view("_-+./=:,@%").find(ch) != std::string_view::npos;
  };
  if (!arg.empty() && std::all_of(arg.begin(), arg.end(), safe)) return std::string(arg);
  std::string out = "'";
  for (char ch : arg) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

std::string case_replay_command(std::string_view backend_spec, std::string_view case_path) {
  // A plugin subject replays only with its plugin loaded: its flags come first.
  const std::string origin = subject_origin_flags(std::string(backend_spec));
  return fmt::format("flashcheck run {}--backend {} --case {}", origin.empty() ? "" : origin + " ",
                     shell_quote(backend_spec), shell_quote(case_path));
}

std::string save_named_case_file(const std::string& dir, const std::string& backend_spec, const AttentionCase& c,
                                 const std::string& reason) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot create directory '{}': {}", dir, ec.message()));

  // The hash leaves out the replay command, which holds the path the hash helps name.
  const nlohmann::json hashed_metadata = {{"backend", backend_spec}, {"reason", reason}};
  const std::string base = fmt::format("{}-{}-{}-{}", file_name_slug(backend_spec, "backend"),
                                       file_name_slug(c.family, "case"), c.seed,
                                       content_hash8(case_file_text(c, hashed_metadata)));
  for (int variant = 1; variant <= kMaxNameVariants; ++variant) {
    const std::string name = variant == 1 ? base + ".json" : fmt::format("{}-{}.json", base, variant);
    const std::string path = (fs::path(dir) / name).string();
    nlohmann::json metadata = hashed_metadata;
    metadata["replay"] = case_replay_command(backend_spec, path);
    const std::string text = case_file_text(c, metadata);
    if (write_file_atomically(path, text, false)) return path;
    if (read_text_file(path) == text) return path;  // saved before: same name, same content
  }
  throw std::runtime_error(
      fmt::format("cannot save case under '{}': {} files named {}* hold other content", dir, kMaxNameVariants, base));
}

}  // namespace flashcheck
