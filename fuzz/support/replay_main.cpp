// Plain driver for fuzz targets built without libFuzzer: every file named on the command
// line, and every file under every directory named (recursively, in sorted order so runs
// repeat), goes once through LLVMFuzzerTestOneInput; Markdown files (a folder's README or
// regression INDEX.md) are documentation, not inputs. A failing input aborts inside the
// target, so this exits non-zero exactly when some input fails.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Optional in a target: weak, so it is null when the target does not define it.
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

constexpr int kExitBadPath = 2;

bool read_file(const fs::path& path, std::vector<uint8_t>& bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

// Regular files named by `path` (itself, or everything under it), sorted.
bool collect_inputs(const fs::path& path, std::vector<fs::path>& files) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return false;
  if (!fs::is_directory(status)) {
    files.push_back(path);
    return true;
  }
  std::vector<fs::path> found;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file() && it->path().extension() != ".md") found.push_back(it->path());  // indexes, not inputs
  if (ec) return false;
  std::sort(found.begin(), found.end());
  files.insert(files.end(), found.begin(), found.end());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE_OR_DIR...\n  runs every input file (directories recursively) once\n",
                 argv[0]);
    return kExitBadPath;
  }
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    if (!collect_inputs(argv[i], files)) {
      std::fprintf(stderr, "error: cannot read '%s' (no such file or directory)\n", argv[i]);
      return kExitBadPath;
    }
  }
  std::vector<uint8_t> bytes;
  for (const fs::path& file : files) {
    if (!read_file(file, bytes)) {
      std::fprintf(stderr, "error: cannot read '%s'\n", file.c_str());
      return kExitBadPath;
    }
    std::fprintf(stderr, "replaying %s (%zu bytes)\n", file.c_str(), bytes.size());
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  }
  std::printf("%zu inputs replayed\n", files.size());
  return 0;
}
