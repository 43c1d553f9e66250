#include "cli/npy.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "core/case_json.hpp"
#include "core/dtype.hpp"

namespace flashcheck::cli {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";

struct TypeRow {
  NpyType type;
  std::string_view descr;
  size_t size;
};
// "|u1" and "<u1" (and "|b1") are the same bytes; NumPy writes the first.
constexpr std::array<TypeRow, 6> kTypes{{{NpyType::f16, "<f2", 2},
                                         {NpyType::f32, "<f4", 4},
                                         {NpyType::f64, "<f8", 8},
                                         {NpyType::u8, "|u1", 1},
                                         {NpyType::u16, "<u2", 2},
                                         {NpyType::boolean, "|b1", 1}}};

const TypeRow& row_of(NpyType t) {
  for (const TypeRow& r : kTypes)
    if (r.type == t) return r;
  return kTypes[1];  // unreachable: every type has a row
}

std::optional<NpyType> type_of_descr(std::string_view d) {
  if (d == "<u1") d = "|u1";
  if (d == "<b1") d = "|b1";
  for (const TypeRow& r : kTypes)
    if (r.descr == d) return r.type;
  return std::nullopt;
}

// The header is a Python dict literal with string keys and values that are strings,
// booleans or tuples of integers: exactly what NumPy writes, nothing more.
class HeaderParser {
 public:
  explicit HeaderParser(std::string_view text) : s_(text) {}

  struct Header {
    std::optional<std::string> descr;
    std::optional<bool> fortran;
    std::optional<std::vector<int64_t>> shape;
  };

  Header parse() {
    Header h;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = string_literal();
      expect(':');
      skip_space();
      if (key == "descr") {
        h.descr = string_literal();
      } else if (key == "fortran_order") {
        h.fortran = boolean();
      } else if (key == "shape") {
        h.shape = int_tuple();
      } else {
        fail(fmt::format("unknown header key '{}'", key));
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      skip_space();
      if (peek() != '}') fail("expected ',' or '}'");
    }
    ++pos_;
    while (pos_ < s_.size()) {
      if (s_[pos_] != ' ' && s_[pos_] != '\n' && s_[pos_] != '\t' && s_[pos_] != '\r' && s_[pos_] != '\0')
        fail("text after the header dictionary");
      ++pos_;
    }
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::invalid_argument(fmt::format("malformed .npy header at character {}: {}", pos_, what));
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail(fmt::format("expected '{}'", c));
    ++pos_;
  }
  std::string string_literal() {
    skip_space();
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    const size_t end = s_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string out(s_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return out;
  }
  bool boolean() {
    for (const auto& [word, value] : {std::pair{std::string_view("True"), true}, {std::string_view("False"), false}})
      if (s_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return value;
      }
    fail("expected True or False");
  }
  std::vector<int64_t> int_tuple() {
    expect('(');
    std::vector<int64_t> out;
    while (true) {
      skip_space();
      if (peek() == ')') break;
      if (peek() < '0' || peek() > '9') fail("expected a non-negative integer in the shape");
      int64_t v = 0;
      while (peek() >= '0' && peek() <= '9') {
        if (v > (std::numeric_limits<int64_t>::max() - 9) / 10) fail("shape entry too large");
        v = v * 10 + (peek() - '0');
        ++pos_;
      }
      if (peek() == 'L') ++pos_;  // Python 2 longs in old files
      out.push_back(v);
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != ')') fail("expected ',' or ')' in the shape");
    }
    ++pos_;
    if (out.size() > 32) fail("more than 32 dimensions");
    return out;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

uint32_t little_endian(std::span<const std::byte> b) {
  uint32_t v = 0;
  for (size_t i = b.size(); i-- > 0;) v = (v << 8) | std::to_integer<uint32_t>(b[i]);
  return v;
}

// Fortran order to C order: element with C index c sits at Fortran index f.
std::vector<std::byte> to_c_order(const std::vector<std::byte>& data, const std::vector<int64_t>& shape, size_t item) {
  const size_t rank = shape.size();
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<std::byte> out(data.size());
  std::vector<int64_t> index(rank, 0);
  for (int64_t c = 0; c < n; ++c) {
    int64_t f = 0, stride = 1;
    for (size_t k = 0; k < rank; ++k) {
      f += index[k] * stride;
      stride *= shape[k];
    }
    std::memcpy(out.data() + static_cast<size_t>(c) * item, data.data() + static_cast<size_t>(f) * item, item);
    for (size_t k = rank; k-- > 0;) {  // advance the C-order multi-index
      if (++index[k] < shape[k]) break;
      index[k] = 0;
    }
  }
  return out;
}

}  // namespace

int64_t NpyArray::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

double NpyArray::value(int64_t index) const {
  const std::byte* p = data.data() + static_cast<size_t>(index) * npy_item_size(type);
  switch (type) {
    case NpyType::f16: return traits(DType::f16).decode(p);
    case NpyType::f32: return traits(DType::f32).decode(p);
    case NpyType::f64: {
      double v;
      std::memcpy(&v, p, sizeof v);
      return v;
    }
    case NpyType::u8:
    case NpyType::boolean: return std::to_integer<int>(p[0]);
    case NpyType::u16: return static_cast<double>(little_endian({p, 2}));
  }
  return 0;
}

std::string_view npy_descr(NpyType t) { return row_of(t).descr; }
size_t npy_item_size(NpyType t) { return row_of(t).size; }

std::string npy_shape_text(const std::vector<int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

std::vector<std::byte> encode_npy(const NpyArray& a) {
  for (int64_t d : a.shape)
    if (d < 0) throw std::invalid_argument("encode_npy: negative shape entry");
  if (static_cast<size_t>(a.numel()) * npy_item_size(a.type) != a.data.size())
    throw std::invalid_argument(fmt::format("encode_npy: {} bytes do not hold shape {} of {}", a.data.size(),
                                            npy_shape_text(a.shape), npy_descr(a.type)));
  std::string shape;
  for (int64_t d : a.shape) shape += fmt::format("{}, ", d);
  if (a.shape.size() > 1) shape.resize(shape.size() - 2);  // (3,) keeps its comma, (2, 3) has none at the end
  if (a.shape.size() == 1) shape.resize(shape.size() - 1);
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}", npy_descr(a.type), shape);
  const bool v2 = header.size() + 1 + 10 > 65535;
  const size_t prefix = v2 ? 12 : 10;
  header.append((64 - (prefix + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::vector<std::byte> out;
  out.reserve(prefix + header.size() + a.data.size());
  for (char c : kMagic) out.push_back(static_cast<std::byte>(c));
  out.push_back(std::byte{static_cast<unsigned char>(v2 ? 2 : 1)});
  out.push_back(std::byte{0});
  const size_t n = header.size();
  for (size_t i = 0; i < (v2 ? 4u : 2u); ++i) out.push_back(static_cast<std::byte>((n >> (8 * i)) & 0xFF));
  for (char c : header) out.push_back(static_cast<std::byte>(c));
  out.insert(out.end(), a.data.begin(), a.data.end());
  return out;
}

NpyArray decode_npy(std::span<const std::byte> bytes, int64_t max_elements) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0)
    throw std::invalid_argument("not a .npy file (the magic \\x93NUMPY is missing)");
  const int major = std::to_integer<int>(bytes[6]);
  if (major < 1 || major > 3)
    throw std::invalid_argument(fmt::format(".npy format version {}.{} is not supported (1.0 to 3.0 are)", major,
                                            std::to_integer<int>(bytes[7])));
  const size_t len_bytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + len_bytes) throw std::invalid_argument("truncated .npy header");
  const size_t header_len = little_endian(bytes.subspan(8, len_bytes));
  const size_t data_start = 8 + len_bytes + header_len;
  if (data_start > bytes.size())
    throw std::invalid_argument(fmt::format(".npy header length {} runs past the end of the file ({} bytes)",
                                            header_len, bytes.size()));
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()) + 8 + len_bytes, header_len);
  const HeaderParser::Header h = HeaderParser(text).parse();
  if (!h.descr || !h.fortran || !h.shape)
    throw std::invalid_argument(".npy header lacks one of 'descr', 'fortran_order', 'shape'");
  const std::optional<NpyType> type = type_of_descr(*h.descr);
  if (!type) {
    std::vector<std::string_view> known;
    for (const TypeRow& r : kTypes) known.push_back(r.descr);
    throw std::invalid_argument(
        fmt::format(".npy dtype '{}' is not supported (supported: {})", *h.descr, fmt::join(known, ", ")));
  }
  NpyArray a;
  a.type = *type;
  a.shape = *h.shape;
  int64_t n = 1;
  for (int64_t d : a.shape) {
    if (d != 0 && n > max_elements / d)
      throw std::invalid_argument(fmt::format(".npy shape {} holds more than {} elements", npy_shape_text(a.shape),
                                              max_elements));
    n *= d;
  }
  const size_t want = static_cast<size_t>(n) * npy_item_size(a.type);
  const size_t have = bytes.size() - data_start;
  if (want != have)
    throw std::invalid_argument(fmt::format(".npy data is {} bytes but shape {} of {} needs {}", have,
                                            npy_shape_text(a.shape), *h.descr, want));
  a.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(data_start), bytes.end());
  if (*h.fortran && a.shape.size() > 1) a.data = to_c_order(a.data, a.shape, npy_item_size(a.type));
  return a;
}

NpyArray read_npy_file(const std::string& path, int64_t max_elements) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read {}", path));
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(fmt::format("cannot read {}", path));
  try {
    return decode_npy(std::as_bytes(std::span(raw)), max_elements);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("{}: {}", path, e.what()));
  }
}

void write_npy_file(const std::string& path, const NpyArray& a) {
  const std::vector<std::byte> bytes = encode_npy(a);
  write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), true);
}

}  // namespace flashcheck::cli
