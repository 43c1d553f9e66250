#include "oracle/formats/element_format.hpp"

#include <array>
#include <stdexcept>
#include <string>

namespace flashcheck::formats {

namespace {

// Constants follow OCP Microscaling Formats (MX) v1.0, section 5; the tests check
// each one against decode() of every code.
constexpr std::array kFormats{
    //             name        bits exp man bias signed subn  zero   inf    nan                             qNaN  grid {p, emin, emax}
    ElementFormat{"fp8_e4m3", 8, 4, 3, 7, true, true, true, false, NanEncoding::all_ones_mantissa, 0x7F, {4, -6, 8},
                  448.0, 0x1p-6, 0x1p-9},
    ElementFormat{"fp8_e5m2", 8, 5, 2, 15, true, true, true, true, NanEncoding::ieee, 0x7F, {3, -14, 15},
                  57344.0, 0x1p-14, 0x1p-16},
    ElementFormat{"fp6_e2m3", 6, 2, 3, 1, true, true, true, false, NanEncoding::none, 0x00, {4, 0, 2},
                  7.5, 1.0, 0.125},
    ElementFormat{"fp6_e3m2", 6, 3, 2, 3, true, true, true, false, NanEncoding::none, 0x00, {3, -2, 4},
                  28.0, 0.25, 0.0625},
    ElementFormat{"fp4_e2m1", 4, 2, 1, 1, true, true, true, false, NanEncoding::none, 0x00, {2, 0, 2},
                  6.0, 1.0, 0.5},
    ElementFormat{"e8m0", 8, 8, 0, 127, false, false, false, false, NanEncoding::single_code, 0xFF, {1, -127, 127},
                  0x1p127, 0x1p-127, 0x1p-127},
};

}  // namespace

std::span<const ElementFormat> all_element_formats() { return kFormats; }

const ElementFormat* find_element_format(std::string_view name) {
  for (const ElementFormat& f : kFormats)
    if (f.name == name) return &f;
  return nullptr;
}

const ElementFormat& element_format(std::string_view name) {
  if (const ElementFormat* f = find_element_format(name)) return *f;
  std::string known;
  for (const ElementFormat& f : kFormats) known += (known.empty() ? "" : ", ") + std::string(f.name);
  throw std::invalid_argument("unknown element format '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace flashcheck::formats
