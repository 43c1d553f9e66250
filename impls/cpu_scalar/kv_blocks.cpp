#include "impls/cpu_scalar/kv_blocks.hpp"

#include <bit>

#include "impls/cpu_scalar/scalar_convert.hpp"

namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD {
namespace {

//                                     name        bits exp mant bias max     all1-NaN IEEE
constexpr ElementFormat kE2M1{"e2m1", 4, 2, 1, 1, 6.0f, false, false};
constexpr ElementFormat kE2M3{"e2m3", 6, 2, 3, 1, 7.5f, false, false};
constexpr ElementFormat kE3M2{"e3m2", 6, 3, 2, 3, 28.0f, false, false};
constexpr ElementFormat kE4M3{"e4m3", 8, 4, 3, 7, 448.0f, true, false};
constexpr ElementFormat kE5M2{"e5m2", 8, 5, 2, 15, 57344.0f, false, true};

using enum ElementKind;
using enum ScaleKind;
using enum NibbleOrder;

constexpr std::array kSchemes{
    //          name          element     format  bits scale           nibbles
    BlockScheme{"mxfp8_e4m3", mx_float, &kE4M3, 8, e8m0_ocp, adjacent},
    BlockScheme{"mxfp8_e5m2", mx_float, &kE5M2, 8, e8m0_ocp, adjacent},
    BlockScheme{"mxfp6_e2m3", mx_float, &kE2M3, 6, e8m0_ocp, adjacent},
    BlockScheme{"mxfp6_e3m2", mx_float, &kE3M2, 6, e8m0_ocp, adjacent},
    BlockScheme{"mxfp4_e2m1", mx_float, &kE2M1, 4, e8m0_ocp, adjacent},
    BlockScheme{"ggml_q8_0", ggml_int8, nullptr, 8, fp16, split_halves},
    BlockScheme{"ggml_q4_0", ggml_uint4, nullptr, 4, fp16, split_halves},
    BlockScheme{"ggml_mxfp4", ggml_mxfp4, &kE2M1, 4, e8m0_ggml_half, split_halves},
};

// ggml's kvalues_mxfp4: twice the E2M1 values (the scale is halved to match); code 8 is +0.
constexpr std::array<int8_t, 16> kGgmlMxfp4Values{0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

// 2^k as f32 bits for k in [-149, 127] (normal or subnormal), no libm involved.
float exp2_int(int k) {
  if (k >= -126) return std::bit_cast<float>(static_cast<uint32_t>(k + 127) << 23);
  return std::bit_cast<float>(1u << (k + 149));
}

// Sign, exponent field and mantissa field put back together.
float decode_element(const ElementFormat& f, unsigned code) {
  const unsigned mant_mask = (1u << f.mant_bits) - 1u;
  const unsigned field_ones = (1u << f.exp_bits) - 1u;
  const bool negative = ((code >> (f.bits - 1)) & 1u) != 0;
  const unsigned field = (code >> f.mant_bits) & field_ones;
  const unsigned mantissa = code & mant_mask;
  float magnitude;
  if (f.all_ones_nan && field == field_ones && mantissa == mant_mask) {
    magnitude = quiet_nan();
  } else if (f.ieee_specials && field == field_ones) {
    magnitude = mantissa == 0 ? std::bit_cast<float>(0x7F800000u) : quiet_nan();
  } else if (field == 0) {
    magnitude = static_cast<float>(mantissa) * exp2_int(1 - f.bias - f.mant_bits);
  } else {
    magnitude = static_cast<float>((1u << f.mant_bits) + mantissa) *
                exp2_int(static_cast<int>(field) - f.bias - f.mant_bits);
  }
  // The sign goes on by bits: -0 must stay -0 even where signed zeros are not honoured.
  return std::bit_cast<float>(std::bit_cast<uint32_t>(magnitude) | (negative ? 0x80000000u : 0u));
}

std::array<float, 256> build_values(const BlockScheme& s) {
  std::array<float, 256> t{};
  const unsigned codes = 1u << s.element_bits;
  for (unsigned code = 0; code < codes; ++code) {
    switch (s.element) {
      case mx_float: t[code] = decode_element(*s.format, code); break;
      case ggml_int8: t[code] = static_cast<float>(static_cast<int8_t>(code)); break;
      case ggml_uint4: t[code] = static_cast<float>(static_cast<int>(code) - 8); break;
      case ggml_mxfp4: t[code] = static_cast<float>(kGgmlMxfp4Values[code]); break;
    }
  }
  return t;
}

}  // namespace

const BlockScheme* find_block_scheme(std::string_view name) {
  for (const BlockScheme& s : kSchemes)
    if (s.name == name) return &s;
  return nullptr;
}

const std::array<float, 256>& element_values(const BlockScheme& s) {
  static const auto tables = [] {
    std::array<std::array<float, 256>, kSchemes.size()> all{};
    for (size_t i = 0; i < kSchemes.size(); ++i) all[i] = build_values(kSchemes[i]);
    return all;
  }();
  return tables.at(static_cast<size_t>(&s - kSchemes.data()));
}

float scale_value(const BlockScheme& s, const uint8_t* p) {
  switch (s.scale) {
    case e8m0_ocp: return p[0] == 0xFFu ? quiet_nan() : exp2_int(p[0] - 127);
    case e8m0_ggml_half: return exp2_int(p[0] - 128);  // 0xFF is 2^127 here, not NaN
    case fp16: return f16_to_f32(static_cast<uint16_t>(p[0] | (p[1] << 8)));
  }
  return quiet_nan();
}

NibbleOrder other_order(NibbleOrder o) { return o == adjacent ? split_halves : adjacent; }

void unpack_codes(const BlockScheme& s, const uint8_t* e, NibbleOrder nibbles, uint8_t* codes) {
  switch (s.element_bits) {
    case 8:
      for (int i = 0; i < kBlockSize; ++i) codes[i] = e[i];
      return;
    case 6:
      // Four codes in three bytes, least significant bits first.
      for (int g = 0; g < kBlockSize / 4; ++g) {
        const uint32_t w = e[3 * g] | (e[3 * g + 1] << 8) | (e[3 * g + 2] << 16);
        for (int k = 0; k < 4; ++k) codes[4 * g + k] = static_cast<uint8_t>((w >> (6 * k)) & 0x3Fu);
      }
      return;
    default:
      for (int i = 0; i < kBlockSize / 2; ++i) {
        const auto lo = static_cast<uint8_t>(e[i] & 0x0Fu), hi = static_cast<uint8_t>(e[i] >> 4);
        if (nibbles == adjacent) {
          codes[2 * i] = lo;
          codes[2 * i + 1] = hi;
        } else {
          codes[i] = lo;
          codes[i + kBlockSize / 2] = hi;
        }
      }
      return;
  }
}

BlockAddress block_address(const BlockScheme& s, KvRowLayout layout, int64_t n_blocks, int64_t n) {
  const int64_t sb = s.scale_bytes(), eb = s.element_bytes();
  if (layout == KvRowLayout::aos) return {n * (sb + eb), n * (sb + eb) + sb};
  return {n_blocks * eb + n * sb, n * eb};
}

}  // namespace flashcheck::cpu_scalar::FLASHCHECK_CPU_SCALAR_BUILD
