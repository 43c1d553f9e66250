// fuzz_codecs: every fast or independent element encoder we have, bit-exact against the
// oracle's exact codec, plus properties of the oracle codec itself.
//
// Input layout (little-endian, short inputs read zeros past the end):
//   [0]     target: byte formats of oracle/formats (all_element_formats), then f16, bf16, f32
//   [1]     policy: index into the format's legal policies (legal_policies)
//   [2..6)  f32 bits x
//   [6..10) f32 bits y (second input of the monotonicity check)
//   [10..18) double bits d (encoders that take doubles)
//   [18..20) 16-bit code (decoder checks)
//
// Byte formats: oracle formats::encode vs the exhaustive decision table (the encoder of
// `flashcheck exhaustive`) and NVIDIA's host conversions (when built; their documented
// deviations honoured through Expectation); decode(encode(x)) properties.
// f16 / bf16: core's f16_bits_from_double (the oracle) vs the CPU subjects' own conversions
// (cpu-scalar, split-KV storage codec, the models' half_bits, F16C when the CPU has it),
// both directions; f32: BinaryFormat::round_nearest_even vs the hardware's double -> float.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <vector>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#include "core/binary_format.hpp"
#include "core/dtype.hpp"
#include "fuzz/support/fuzz_fail.hpp"
#include "fuzz/support/fuzz_input.hpp"
#include "impls/cpu_splitkv/storage_codec.hpp"
#include "impls/models/common/half_bits.hpp"
#include "oracle/exhaustive/decision_table.hpp"
#include "oracle/exhaustive/expectation.hpp"
#include "oracle/exhaustive/nvidia_encoders.hpp"
#include "oracle/exhaustive/policy_string.hpp"
#include "oracle/formats/element_codec.hpp"
#include "oracle/formats/element_format.hpp"

// cpu-scalar's conversions are inline, header-only integer code: the default flag set's
// namespace is the one this file's flags match.
#define FLASHCHECK_CPU_SCALAR_BUILD build_standard
#include "impls/cpu_scalar/scalar_convert.hpp"

namespace {

using namespace flashcheck;
using flashcheck::fuzz::FuzzInput;
using flashcheck::fuzz::fuzz_fail;
using flashcheck::fuzz::print_value;

// ---------------------------------------------------------------- byte formats

// Everything one (format, policy) pair needs, built on first use: the decision table
// takes milliseconds to build, an input must take microseconds.
struct PolicyChecks {
  formats::EncodePolicy policy;
  std::unique_ptr<exhaustive::DecisionTable> table;
  const exhaustive::NvidiaConversion* nvidia = nullptr;
  std::unique_ptr<exhaustive::Expectation> nvidia_expectation;  // the policy with NVIDIA's deviations
};

struct FormatChecks {
  const formats::ElementFormat* format;
  std::vector<PolicyChecks> policies;
  std::vector<double> finite_values;  // every finite code's value, ascending (nearest-code search)
};

std::vector<FormatChecks>& format_checks() {
  static std::vector<FormatChecks> all = [] {
    std::vector<FormatChecks> out;
    for (const formats::ElementFormat& f : formats::all_element_formats()) {
      FormatChecks fc{&f, {}, {}};
      for (const formats::EncodePolicy& p : exhaustive::legal_policies(f))
        fc.policies.push_back(PolicyChecks{p, nullptr, exhaustive::find_nvidia_conversion(f.name, p), nullptr});
      for (uint32_t c = 0; c < f.code_count(); ++c) {
        const auto code = static_cast<uint8_t>(c);
        const double v = formats::decode(f, code);
        if (std::isfinite(v)) fc.finite_values.push_back(v);
      }
      std::sort(fc.finite_values.begin(), fc.finite_values.end());
      out.push_back(std::move(fc));
    }
    return out;
  }();
  return all;
}

const char* rounding_name(const formats::EncodePolicy& p) { return formats::name(p.rounding).data(); }

[[noreturn]] void fail_code(const char* what, const formats::ElementFormat& f, const formats::EncodePolicy& p,
                            double x, unsigned expected, unsigned got) {
  std::fprintf(stderr, "FUZZ FINDING: %s\n  format %s, policy %s\n", what, f.name.data(),
               exhaustive::policy_string(p).c_str());
  print_value("input", x);
  std::fprintf(stderr, "  expected code 0x%02x (%a = %.17g), got 0x%02x (%a = %.17g)\n", expected,
               formats::decode(f, static_cast<uint8_t>(expected)), formats::decode(f, static_cast<uint8_t>(expected)),
               got, formats::decode(f, static_cast<uint8_t>(got)), formats::decode(f, static_cast<uint8_t>(got)));
  fuzz_fail("%s (format %s, rounding %s)", what, f.name.data(), rounding_name(p));
}

bool is_number_code(const formats::ElementFormat& f, uint8_t code) { return !formats::is_nan_code(f, code); }

// Inputs the format treats as NaN: NaN itself and, for the unsigned E8M0, anything <= 0.
bool is_nan_input(const formats::ElementFormat& f, double x) { return std::isnan(x) || (!f.is_signed && x <= 0.0); }

// Properties of the exact codec at one input: decode(encode(x)) re-encodes to itself, the
// rounding direction holds, and nearest modes have no strictly closer finite code.
void check_codec_properties(const FormatChecks& fc, const formats::EncodePolicy& p, double x, uint8_t code) {
  const formats::ElementFormat& f = *fc.format;
  if (is_nan_input(f, x)) {
    const uint8_t want = p.nan == formats::NanPolicy::to_nan    ? f.canonical_nan
                         : p.nan == formats::NanPolicy::to_zero ? uint8_t{0}
                                                                : formats::max_finite_code(f);
    if (code != want) fail_code("NaN-policy result", f, p, x, want, code);
    return;
  }
  if (!is_number_code(f, code)) return;  // overflow into NaN (to_inf_or_nan): nothing more to check
  const double value = formats::decode(f, code);
  // A representable value encodes to its own code under every policy (exactness).
  if (formats::encode(f, value, p) != code)
    fail_code("encode(decode(encode(x))) != encode(x)", f, p, value, code, formats::encode(f, value, p));
  if (std::signbit(value) != std::signbit(x) && f.is_signed)
    fail_code("result sign differs from the input's", f, p, x, code ^ f.sign_mask(), code);
  if (!std::isfinite(value) || std::fabs(x) > f.max_finite || std::fabs(x) < f.min_subnormal) return;
  switch (p.rounding) {
    case formats::Rounding::toward_zero:
      if (std::fabs(value) > std::fabs(x)) fail_code("toward_zero result larger in magnitude", f, p, x, code, code);
      return;
    case formats::Rounding::toward_pos_inf:
      if (value < x) fail_code("toward_pos_inf result below the input", f, p, x, code, code);
      return;
    case formats::Rounding::toward_neg_inf:
      if (value > x) fail_code("toward_neg_inf result above the input", f, p, x, code, code);
      return;
    case formats::Rounding::nearest_even:
    case formats::Rounding::nearest_away: {
      // The finite values bracketing x; neither may be strictly closer than the result.
      const auto& v = fc.finite_values;
      const auto hi = std::lower_bound(v.begin(), v.end(), x);
      const double dist = std::fabs(value - x);
      if (hi != v.end() && std::fabs(*hi - x) < dist)
        fail_code("a finite code is strictly closer to x", f, p, x, formats::encode(f, *hi, p), code);
      if (hi != v.begin() && std::fabs(*(hi - 1) - x) < dist)
        fail_code("a finite code is strictly closer to x", f, p, x, formats::encode(f, *(hi - 1), p), code);
      return;
    }
  }
}

// encode is monotone: x <= y gives decode(encode(x)) <= decode(encode(y)) for number codes.
void check_monotone(const formats::ElementFormat& f, const formats::EncodePolicy& p, double x, double y) {
  if (is_nan_input(f, x) || is_nan_input(f, y)) return;
  if (x > y) std::swap(x, y);
  const uint8_t cx = formats::encode(f, x, p);
  const uint8_t cy = formats::encode(f, y, p);
  if (!is_number_code(f, cx) || !is_number_code(f, cy)) return;
  if (formats::decode(f, cx) > formats::decode(f, cy)) {
    print_value("y (the larger input)", y);
    fail_code("encode is not monotone: x <= y but value(x) > value(y)", f, p, x, cy, cx);
  }
}

void check_byte_format(FormatChecks& fc, FuzzInput& in) {
  const formats::ElementFormat& f = *fc.format;
  PolicyChecks& pc = fc.policies[in.below(static_cast<uint32_t>(fc.policies.size()))];
  const formats::EncodePolicy& p = pc.policy;
  const uint32_t xbits = in.u32();
  const uint32_t ybits = in.u32();
  const double d = in.f64();
  const double x = static_cast<double>(std::bit_cast<float>(xbits));

  const uint8_t oracle = formats::encode(f, x, p);
  if (!pc.table) pc.table = std::make_unique<exhaustive::DecisionTable>(f, p);
  const uint8_t tabled = pc.table->encode_bits(xbits);
  if (tabled != oracle) fail_code("decision table != oracle encode", f, p, x, oracle, tabled);

  if (pc.nvidia != nullptr) {
    if (!pc.nvidia_expectation)
      pc.nvidia_expectation = std::make_unique<exhaustive::Expectation>(f, p, pc.nvidia->deviations);
    const uint8_t want = pc.nvidia_expectation->oracle_code(xbits);
    const uint8_t got = pc.nvidia->convert(std::bit_cast<float>(xbits));
    if (got != want) fail_code(pc.nvidia->call.data(), f, p, x, want, got);
    uint8_t block_got = 0;
    pc.nvidia->convert_block(std::span<const uint32_t>(&xbits, 1), std::span<uint8_t>(&block_got, 1));
    if (block_got != want) fail_code("NVIDIA block conversion", f, p, x, want, block_got);
  }

  check_codec_properties(fc, p, x, oracle);
  check_codec_properties(fc, p, d, formats::encode(f, d, p));
  check_monotone(f, p, x, static_cast<double>(std::bit_cast<float>(ybits)));
  check_monotone(f, p, x, d);
}

// ---------------------------------------------------------------- 16-bit storage

struct Half {
  const char* name;
  uint16_t (*from_double)(double);  // the oracle: round to nearest even, overflow to inf
  double (*to_double)(uint16_t);
  const BinaryFormat* format;
};

#if defined(__x86_64__)
__attribute__((target("f16c"))) uint16_t f16c_from_f32(float x) {
  const __m128i h = _mm_cvtps_ph(_mm_set_ss(x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  return static_cast<uint16_t>(_mm_cvtsi128_si32(h) & 0xFFFF);
}
__attribute__((target("f16c"))) float f16c_to_f32(uint16_t h) {
  return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
}
// F16C is VEX-encoded: the CPU must have it and the OS must save the AVX state (CPUID.1:ECX
// bits 29 F16C, 28 AVX, 27 OSXSAVE; XCR0 bits 1 and 2). Asked once, at run time.
bool cpu_has_f16c() {
  static const bool has = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
    constexpr unsigned kNeeded = (1u << 29) | (1u << 28) | (1u << 27);
    if ((ecx & kNeeded) != kNeeded) return false;
    unsigned xcr0_lo = 0, xcr0_hi = 0;
    __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0u));
    return (xcr0_lo & 6u) == 6u;
  }();
  return has;
}
#endif

struct HalfEncoder {
  const char* name;
  uint16_t (*encode)(float);
  float (*decode)(uint16_t);
};

const std::array kF16Encoders = {
    HalfEncoder{"cpu_scalar f32_to_f16 / f16_to_f32", &cpu_scalar::build_standard::f32_to_f16,
                &cpu_scalar::build_standard::f16_to_f32},
    HalfEncoder{"splitkv f32_to_f16_bits / f16_bits_to_f32", &splitkv::f32_to_f16_bits, &splitkv::f16_bits_to_f32},
    HalfEncoder{"models float_to_f16_bits / f16_bits_to_float", &models::float_to_f16_bits,
                &models::f16_bits_to_float},
#if defined(__x86_64__)
    HalfEncoder{"F16C _cvtss_sh / _cvtsh_ss", &f16c_from_f32, &f16c_to_f32},
#endif
};
const std::array kBf16Encoders = {
    HalfEncoder{"cpu_scalar f32_to_bf16 / bf16_to_f32", &cpu_scalar::build_standard::f32_to_bf16,
                &cpu_scalar::build_standard::bf16_to_f32},
    HalfEncoder{"splitkv f32_to_bf16_bits / bf16_bits_to_f32", &splitkv::f32_to_bf16_bits,
                &splitkv::bf16_bits_to_f32},
    HalfEncoder{"models float_to_bf16_bits / bf16_bits_to_float", &models::float_to_bf16_bits,
                &models::bf16_bits_to_float},
};

bool encoder_available(const HalfEncoder& e) {
#if defined(__x86_64__)
  if (e.encode == &f16c_from_f32) return cpu_has_f16c();
#endif
  (void)e;
  return true;
}

bool is_half_nan(uint16_t h) { return (h & 0x7C00u) == 0x7C00u && (h & 0x03FFu) != 0; }
bool is_bf16_nan(uint16_t h) { return (h & 0x7F80u) == 0x7F80u && (h & 0x007Fu) != 0; }

[[noreturn]] void fail_half(const char* what, const char* encoder, const char* format, float x, unsigned expected,
                            unsigned got) {
  std::fprintf(stderr, "FUZZ FINDING: %s\n  encoder %s, format %s, policy nearest_even,to_inf,to_nan\n", what,
               encoder, format);
  print_value("input", x);
  std::fprintf(stderr, "  expected bits 0x%04x, got 0x%04x\n", expected, got);
  fuzz_fail("%s (%s)", what, encoder);
}

void check_half(const Half& h, std::span<const HalfEncoder> encoders, bool (*is_nan)(uint16_t), FuzzInput& in) {
  const uint32_t xbits = in.u32();
  in.u32();  // y: unused here, keeps the layout of every target the same
  const double d = in.f64();
  const uint16_t code = in.u16();
  const float x = std::bit_cast<float>(xbits);

  // The oracle's two roundings agree: bits from double and the format's round_nearest_even.
  for (const double v : {static_cast<double>(x), d}) {
    if (std::isnan(v)) continue;
    const uint16_t bits = h.from_double(v);
    const double rounded = h.format->round_nearest_even(v);
    const double decoded = h.to_double(bits);
    if (std::bit_cast<uint64_t>(rounded) != std::bit_cast<uint64_t>(decoded)) {
      print_value("round_nearest_even", rounded);
      print_value("decode(bits_from_double)", decoded);
      fail_half("oracle bits_from_double disagrees with BinaryFormat::round_nearest_even", "core", h.name,
                static_cast<float>(v), h.from_double(rounded), bits);
    }
  }

  const double code_value = h.to_double(code);
  for (const HalfEncoder& e : encoders) {
    if (!encoder_available(e)) continue;
    const uint16_t got = e.encode(x);
    if (std::isnan(x)) {
      if (!is_nan(got)) fail_half("NaN did not stay NaN", e.name, h.name, x, h.from_double(x), got);
    } else if (got != h.from_double(static_cast<double>(x))) {
      fail_half("encoder != oracle", e.name, h.name, x, h.from_double(static_cast<double>(x)), got);
    }
    const float decoded = e.decode(code);
    const bool same = std::isnan(code_value) ? std::isnan(decoded)
                                             : std::bit_cast<uint64_t>(static_cast<double>(decoded)) ==
                                                   std::bit_cast<uint64_t>(code_value);
    if (!same) {
      print_value("oracle decode", code_value);
      print_value("subject decode", decoded);
      fail_half("decoder != oracle", e.name, h.name, decoded, code, code);
    }
  }
}

// ---------------------------------------------------------------- f32

void check_f32(FuzzInput& in) {
  in.u32();
  in.u32();
  const double d = in.f64();
  if (std::isnan(d)) return;
  const double oracle = kFormatF32.round_nearest_even(d);
  const double hardware = static_cast<double>(static_cast<float>(d));  // IEEE conversion, round to nearest even
  if (std::bit_cast<uint64_t>(oracle) != std::bit_cast<uint64_t>(hardware)) {
    std::fprintf(stderr, "FUZZ FINDING: f32 rounding, policy nearest_even,to_inf\n");
    print_value("input", d);
    print_value("BinaryFormat::round_nearest_even", oracle);
    print_value("(float) cast", hardware);
    fuzz_fail("kFormatF32.round_nearest_even != hardware double -> float");
  }
}

const Half kF16{"f16", &f16_bits_from_double, &f16_bits_to_double, &kFormatF16};
const Half kBf16{"bf16", &bf16_bits_from_double, &bf16_bits_to_double, &kFormatBF16};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  format_checks();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  std::vector<FormatChecks>& formats_list = format_checks();
  const uint32_t target = in.below(static_cast<uint32_t>(formats_list.size() + 3));
  if (target < formats_list.size()) {
    check_byte_format(formats_list[target], in);
  } else if (target == formats_list.size()) {
    check_half(kF16, kF16Encoders, &is_half_nan, in);
  } else if (target == formats_list.size() + 1) {
    check_half(kBf16, kBf16Encoders, &is_bf16_nan, in);
  } else {
    check_f32(in);
  }
  return 0;
}
