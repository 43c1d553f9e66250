// fuzz_mx_block: one block of 32 values through every block scheme, byte layout and
// rotation: the oracle's own consistency, ggml's mxfp4 against the OCP MX path, and the
// cpu-scalar kernels' write path (set_rows), read path (read_kv_cache, all three flag
// builds) and Hadamard rotation against the oracle.
//
// Input layout (little-endian, zeros past the end):
//   [0] scheme (all_block_schemes)   [1] scale rule (MX only)   [2] element policy (MX only)
//   [3] flags: bit0 SoA for the subject, bit1 the other nibble order, bit2 FP6 msb_first,
//       bit3 Hadamard rotation on the subject path, bits4-5 which cpu-scalar flag build
//       (standard, finite-math, fast-math; 3 = standard) this input grades: one build per
//       input keeps an execution cheap, and every build is reached across inputs
//   [4..132) 32 f32 bit patterns
#include <algorithm>
#include <array>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/quantized_kv.hpp"
#include "core/tensor.hpp"
#include "fuzz/support/fuzz_fail.hpp"
#include "fuzz/support/fuzz_input.hpp"
#include "impls/cpu_scalar/kernel_entry.hpp"
#include "oracle/blocks/block_layout.hpp"
#include "oracle/blocks/block_scheme.hpp"
#include "oracle/blocks/ggml_block.hpp"
#include "oracle/blocks/hadamard.hpp"
#include "oracle/blocks/mx_block.hpp"
#include "oracle/blocks/scale_rule.hpp"
#include "oracle/exhaustive/policy_string.hpp"
#include "oracle/formats/element_codec.hpp"
#include "oracle/formats/element_format.hpp"

#define FLASHCHECK_CPU_SCALAR_BUILD build_standard
#include "impls/cpu_scalar/hadamard32.hpp"
#include "impls/cpu_scalar/kv_blocks.hpp"
#undef FLASHCHECK_CPU_SCALAR_BUILD

// hadamard32.cpp is compiled under every flag set; hadamard32.hpp can only be included
// for one of them per file, so the other two builds' entry points are declared here.
namespace flashcheck::cpu_scalar::build_finite_math {
void rotate_blocks32(float* x, int64_t n);
}
namespace flashcheck::cpu_scalar::build_fast_math {
void rotate_blocks32(float* x, int64_t n);
}

namespace {

using namespace flashcheck;
using flashcheck::fuzz::FuzzInput;
using flashcheck::fuzz::fuzz_fail;
using flashcheck::fuzz::print_value;
namespace bl = flashcheck::blocks;

constexpr int kN = bl::kBlockSize;
using Values = std::array<double, kN>;

struct Setup {
  const bl::BlockScheme* scheme;
  bl::MxOptions mx;  // default for ggml schemes
  bl::LayoutOptions layout;
  bool subject_soa, hadamard;
  size_t build;  // cpu-scalar flag build under test (kReadBuilds / rotation table index)
};

void print_block(const char* label, const bl::Block& b) {
  std::fprintf(stderr, "  %s: scale 0x%04x codes", label, b.scale);
  for (uint8_t c : b.codes) std::fprintf(stderr, " %02x", c);
  std::fputc('\n', stderr);
}

void print_setup(const Setup& s) {
  std::fprintf(stderr, "  scheme %s, rule %s, element policy %s, nibbles %s, fp6 %s, subject %s%s, build %zu\n",
               s.scheme->name.data(), bl::name(s.mx.rule).data(),
               s.mx.element_policy ? exhaustive::policy_string(*s.mx.element_policy).c_str() : "(scheme's own)",
               s.layout.nibbles ? bl::name(*s.layout.nibbles).data() : "(scheme's own)",
               bl::name(s.layout.fp6_order).data(), s.subject_soa ? "soa" : "aos",
               s.hadamard ? ", hadamard" : "", s.build);
}

void print_inputs(std::span<const double> x) {
  for (size_t i = 0; i < x.size(); ++i)
    std::fprintf(stderr, "  x[%zu] = %a = %.9g\n", i, x[i], x[i]);
}

[[noreturn]] void fail_value(const char* what, const Setup& s, std::span<const double> x, size_t i, double expected,
                             double got) {
  std::fprintf(stderr, "FUZZ FINDING: %s at element %zu\n", what, i);
  print_setup(s);
  print_value("expected", expected);
  print_value("got", got);
  print_inputs(x);
  fuzz_fail("%s (scheme %s)", what, s.scheme->name.data());
}

bool same_bits(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b) || (std::isnan(a) && std::isnan(b));
}

// ---------------------------------------------------------------- oracle consistency

// pack_row / unpack_row round trip in both layouts; AoS and SoA dequantize identically,
// and both equal dequantize_row of the blocks.
void check_layouts(const Setup& s, std::span<const double> x, const std::vector<bl::Block>& blocks) {
  const std::vector<double> reference = bl::dequantize_row(*s.scheme, blocks);
  for (const bl::RowLayout layout : {bl::RowLayout::aos, bl::RowLayout::soa}) {
    bl::LayoutOptions o = s.layout;
    o.layout = layout;
    const std::vector<uint8_t> bytes = bl::pack_row(*s.scheme, blocks, o);
    if (bytes.size() != bl::row_bytes(*s.scheme, blocks.size()))
      fuzz_fail("pack_row wrote %zu bytes, row_bytes says %zu", bytes.size(), bl::row_bytes(*s.scheme, 1));
    const std::vector<bl::Block> back = bl::unpack_row(*s.scheme, bytes, o);
    if (back != blocks) {
      std::fprintf(stderr, "FUZZ FINDING: unpack_row(pack_row(b)) != b, layout %s\n", bl::name(layout).data());
      print_setup(s);
      print_block("packed", blocks[0]);
      print_block("unpacked", back[0]);
      fuzz_fail("pack/unpack round trip (scheme %s)", s.scheme->name.data());
    }
    const std::vector<double> values = bl::dequantize_packed_row(*s.scheme, bytes, o);
    for (size_t i = 0; i < values.size(); ++i)
      if (!same_bits(values[i], reference[i]))
        fail_value(layout == bl::RowLayout::aos ? "dequantize_packed_row(AoS) != dequantize_row"
                                                : "dequantize_packed_row(SoA) != dequantize_row",
                   s, x, i, reference[i], values[i]);
  }
}

// ggml's mxfp4 and OCP MX fp4_e2m1 (floor rule, nearest even) describe the same numbers:
// GGML_E8M0_TO_FP32_HALF(e) * kvalues_mxfp4[c] = 2^(e-127) * E2M1(c). The dequantizers agree
// on every block; the quantizers agree wherever ggml's f32 arithmetic decides the same:
// the scale comes from floorf(log2f(amax)), and an element is the first table entry whose
// f32-rounded distance is least, so a tie (or a distance tie after rounding) may go to the
// smaller magnitude where MX rounds to even.
void check_ggml_mxfp4(const Setup& s, std::span<const double> xf) {
  std::array<float, kN> f{};
  for (int i = 0; i < kN; ++i) f[static_cast<size_t>(i)] = static_cast<float>(xf[static_cast<size_t>(i)]);
  const bl::Block g = bl::quantize_ggml_mxfp4(f);
  const formats::ElementFormat& e2m1 = formats::element_format("fp4_e2m1");
  // Dequantizers: same numbers (0xFF is 2^127 for ggml, NaN for MX: not compared).
  if (g.scale != bl::kScaleNanCode) {
    const std::array<float, kN> gv = bl::dequantize_ggml_mxfp4(g);
    const std::array<double, kN> mv = bl::dequantize_mx_block(e2m1, g);
    for (size_t i = 0; i < kN; ++i)
      if (!same_bits(static_cast<double>(gv[i]), mv[i]))
        fail_value("dequantize_ggml_mxfp4 != dequantize_mx_block(fp4_e2m1)", s, xf, i, mv[i],
                   static_cast<double>(gv[i]));
  }
  const bl::MxConfig mx = bl::mx_config("fp4_e2m1", bl::ScaleRule::ocp_floor);
  const bl::Block m = bl::quantize_mx_block(mx, xf);
  if (m.scale != g.scale) return;  // floorf(log2f(amax)) rounded across a power of two
  if (m.scale == 0) return;        // ggml pins amax < 2^-125 to code 0: docs/formats.md
  const double d = std::ldexp(1.0, static_cast<int>(m.scale) - 128);  // ggml's d
  for (size_t i = 0; i < kN; ++i) {
    const double vm = formats::decode(e2m1, m.codes[i]) * 2.0;  // in units of d, as kvalues
    const double vg = static_cast<double>(bl::kGgmlMxfp4Values[g.codes[i]]);
    if (vm == vg) continue;
    // Different values: acceptable only when ggml's f32 distances could not tell them apart.
    const double xi = static_cast<double>(f[i]);
    const double dm = std::fabs(vm * d - xi), dg = std::fabs(vg * d - xi);
    const double tolerance = std::max(dm, dg) * 0x1p-23;  // one f32 ulp of the larger distance
    if (std::fabs(dm - dg) > tolerance) {
      print_block("ggml", g);
      print_block("mx", m);
      fail_value("quantize_ggml_mxfp4 element differs from OCP MX fp4 (not a tie)", s, xf, i, vm * d, vg * d);
    }
  }
}

// ---------------------------------------------------------------- Hadamard

// Bound of the f32 butterflies (rotate_blocks32) against the exact H x / sqrt(32).
// Each output is a signed sum of the 32 inputs evaluated by a tree of 5 levels of f32
// additions, so |fl(sum) - sum| <= gamma_5 * sum|x_i| (gamma_k = k u / (1 - k u), u = 2^-24,
// Higham, Accuracy and Stability, 4.2 for any summation tree of depth k). Multiplying by
// c = fl(2^-2.5) = 2^-2.5 (1 + d1), |d1| <= u, and rounding the product (1 + d2), gives
// |y - exact| <= gamma_7 * sum|x_i| / sqrt(32) plus, near underflow, 7 absolute errors of
// at most 2^-150 each (subnormal additions are exact; the product rounds once absolutely).
// The double oracle's own error (gamma_6 in 2^-53) is covered by doubling the relative
// term's constant margin (gamma_8 instead of gamma_7).
double f32_rotation_bound(double sum_abs) {
  constexpr double u = 0x1p-24;
  return (8.0 * u / (1.0 - 8.0 * u)) * sum_abs / std::sqrt(32.0) + 7.0 * 0x1p-150;
}

// The wide variant (butterflies in double, product in double, one rounding to f32):
// |y - exact| <= 0.5 ulp_f32(y) + gamma_7(2^-53) * sum|x_i| / sqrt(32), with gamma_8 again for
// the oracle's own error, and 2^-150 for a subnormal f32 result.
double wide_rotation_bound(double sum_abs, float y) {
  constexpr double u = 0x1p-53;
  const double half_ulp = 0.5 * (static_cast<double>(std::nextafter(std::fabs(y), FLT_MAX)) - std::fabs(y));
  return half_ulp + (8.0 * u / (1.0 - 8.0 * u)) * sum_abs / std::sqrt(32.0) + 0x1p-150;
}

void check_hadamard(const Setup& s, std::span<const double> xf) {
  double sum_abs = 0.0;
  for (double v : xf) sum_abs += std::fabs(v);
  // Partial sums stay below (1 + gamma_5) sum|x|: keep them finite in f32.
  if (!(sum_abs <= 0x1p126)) return;
  const std::array<double, kN> exact = bl::rotate_block(xf);
  using RotateFn = void (*)(float*, int64_t);
  struct Build {
    const char* name;
    RotateFn rotate;
    bool wide;
  };
  // Index s.build: the f32 butterflies of that flag build; the wide variant exists once.
  static constexpr std::array kF32Builds = {
      Build{"cpu_scalar build_standard rotate_blocks32", &cpu_scalar::build_standard::rotate_blocks32, false},
      Build{"cpu_scalar build_finite_math rotate_blocks32", &cpu_scalar::build_finite_math::rotate_blocks32, false},
      Build{"cpu_scalar build_fast_math rotate_blocks32", &cpu_scalar::build_fast_math::rotate_blocks32, false},
  };
  constexpr Build kWide{"cpu_scalar rotate_blocks32_wide", &cpu_scalar::build_standard::rotate_blocks32_wide, true};
  for (const Build& b : {kF32Builds[s.build], kWide}) {
    std::array<float, kN> y{};
    for (size_t i = 0; i < kN; ++i) y[i] = static_cast<float>(xf[i]);
    b.rotate(y.data(), kN);
    for (size_t i = 0; i < kN; ++i) {
      const double bound = b.wide ? wide_rotation_bound(sum_abs, y[i]) : f32_rotation_bound(sum_abs);
      const double err = std::fabs(static_cast<double>(y[i]) - exact[i]);
      if (!(err <= bound)) {
        std::fprintf(stderr, "  sum|x| = %a = %.17g, bound = %a = %.17g, |error| = %a = %.17g\n", sum_abs, sum_abs,
                     bound, bound, err, err);
        fail_value(b.name, s, xf, i, exact[i], static_cast<double>(y[i]));
      }
    }
  }
}

// ---------------------------------------------------------------- the subject's write / read paths

using ReadFn = Tensor (*)(const QuantizedKv&, cpu_scalar::Mutant);
struct ReadBuild {
  const char* name;
  ReadFn read;
};
constexpr std::array kReadBuilds = {
    ReadBuild{"build_standard read_kv_cache", &cpu_scalar::build_standard::read_kv_cache},
    ReadBuild{"build_finite_math read_kv_cache", &cpu_scalar::build_finite_math::read_kv_cache},
    ReadBuild{"build_fast_math read_kv_cache", &cpu_scalar::build_fast_math::read_kv_cache},
};

// The subject quantizes the rotated values it computed itself; its bytes must equal the
// oracle's whenever those rotated f32 values are the oracle's (always without rotation).
bool subject_rotation_matches(std::span<const double> xf) {
  std::array<float, kN> y{};
  for (size_t i = 0; i < kN; ++i) y[i] = static_cast<float>(xf[i]);
  cpu_scalar::build_standard::rotate_blocks32_wide(y.data(), kN);
  const std::vector<double> exact = bl::rotate_row(xf);
  // Bits, not ==: a rotated -0 and +0 quantize to different sign bits.
  for (size_t i = 0; i < kN; ++i)
    if (std::bit_cast<uint32_t>(y[i]) != std::bit_cast<uint32_t>(static_cast<float>(exact[i]))) return false;
  return true;
}

void check_subject(const Setup& s, std::span<const double> xf) {
  const std::string scheme(s.scheme->name);
  if (cpu_scalar::build_standard::find_block_scheme(scheme) == nullptr) return;  // not a scheme the kernel reads
  if (s.hadamard) {
    double sum_abs = 0.0;
    for (double v : xf) sum_abs += std::fabs(v);
    if (sum_abs > 0x1p126) return;  // rotated values could leave f32: the cache holds f32 sources only
  }
  Tensor source = Tensor::make(DType::f32, {1, 1, 1, kN});
  for (int64_t i = 0; i < kN; ++i) source.set(0, 0, 0, i, xf[static_cast<size_t>(i)]);
  const KvQuantSpec spec{scheme, s.subject_soa ? KvRowLayout::soa : KvRowLayout::aos, s.hadamard};
  Tensor dequantized;
  QuantizedKv oracle;
  try {
    oracle = quantize_kv(source, spec, &dequantized);
  } catch (const std::invalid_argument&) {
    // Only ggml's q8_0 / q4_0 have undefined blocks (the rotated row can be one even when
    // the source row is not); an MX scheme rejecting a finite row is a finding.
    if (s.scheme->family == bl::SchemeFamily::mx) throw;
    return;
  }

  if (!s.hadamard || subject_rotation_matches(xf)) {
    const std::vector<uint8_t> bytes =
        cpu_scalar::build_standard::set_rows(source, scheme, spec.layout, spec.hadamard, cpu_scalar::Mutant::none);
    if (bytes != oracle.bytes) {
      std::fprintf(stderr, "FUZZ FINDING: cpu_scalar set_rows bytes != quantize_kv bytes\n");
      print_setup(s);
      for (size_t i = 0; i < bytes.size() && i < oracle.bytes.size(); ++i)
        if (bytes[i] != oracle.bytes[i]) std::fprintf(stderr, "  byte %zu: oracle %02x, subject %02x\n", i,
                                                      oracle.bytes[i], bytes[i]);
      print_inputs(xf);
      fuzz_fail("set_rows != quantize_kv (scheme %s)", s.scheme->name.data());
    }
  }

  // Read path: every flag build dequantizes the oracle's bytes exactly (this input's build).
  {
    const ReadBuild& b = kReadBuilds[s.build];
    const Tensor got = b.read(oracle, cpu_scalar::Mutant::none);
    for (int64_t i = 0; i < kN; ++i) {
      const double want = dequantized.get(0, 0, 0, i);
      const double have = got.get(0, 0, 0, i);
      if (!same_bits(want, have)) fail_value(b.name, s, xf, static_cast<size_t>(i), want, have);
    }
  }
}

// ---------------------------------------------------------------- input decoding

struct MxChoices {
  std::vector<formats::EncodePolicy> policies;  // per scheme: the element's legal policies
};

const std::vector<MxChoices>& scheme_policies() {
  static const std::vector<MxChoices> all = [] {
    std::vector<MxChoices> out;
    for (const bl::BlockScheme& s : bl::all_block_schemes()) {
      MxChoices c;
      if (s.family == bl::SchemeFamily::mx) c.policies = exhaustive::legal_policies(formats::element_format(s.element));
      out.push_back(std::move(c));
    }
    return out;
  }();
  return all;
}

Setup read_setup(FuzzInput& in) {
  const std::span<const bl::BlockScheme> schemes = bl::all_block_schemes();
  const uint32_t index = in.below(static_cast<uint32_t>(schemes.size()));
  Setup s{&schemes[index], {}, {}, false, false, 0};
  const std::span<const bl::ScaleRule> rules = bl::all_scale_rules();
  const bl::ScaleRule rule = rules[in.below(static_cast<uint32_t>(rules.size()))];
  const uint8_t policy_byte = in.u8();
  if (s.scheme->family == bl::SchemeFamily::mx) {
    const std::vector<formats::EncodePolicy>& policies = scheme_policies()[index].policies;
    s.mx.rule = rule;
    s.mx.element_policy = policies[policy_byte % policies.size()];
  }
  const uint8_t flags = in.u8();
  s.subject_soa = (flags & 1u) != 0;
  if ((flags & 2u) != 0)
    s.layout.nibbles = s.scheme->nibbles == bl::NibbleOrder::adjacent ? bl::NibbleOrder::split_halves
                                                                        : bl::NibbleOrder::adjacent;
  s.layout.fp6_order = (flags & 4u) != 0 ? bl::BitOrder::msb_first : bl::BitOrder::lsb_first;
  s.hadamard = (flags & 8u) != 0;
  s.build = ((flags >> 4) & 3u) % 3u;
  return s;
}

// Non-finite inputs become +-FLT_MAX where a path takes finite f32 values only (ggml's
// q8_0 / q4_0 and the KV cache); the MX oracle path sees them as given.
double finite_f32(double v) {
  if (std::isfinite(v)) return v;
  return std::signbit(v) ? -static_cast<double>(FLT_MAX) : static_cast<double>(FLT_MAX);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  scheme_policies();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const Setup s = read_setup(in);
  Values x{}, xf{};
  for (size_t i = 0; i < kN; ++i) {
    x[i] = static_cast<double>(in.f32());
    xf[i] = finite_f32(x[i]);
  }
  const bool mx = s.scheme->family == bl::SchemeFamily::mx;
  std::vector<bl::Block> blocks;
  if (mx) {
    blocks = bl::quantize_row(*s.scheme, x, s.mx);
  } else {
    // ggml's reference quantizers are undefined on some blocks (x / d not finite for a tiny
    // amax, say); the oracle rejects exactly those (docs/formats.md): no contract to check.
    try {
      blocks = bl::quantize_row(*s.scheme, xf);
    } catch (const std::invalid_argument&) {
      return 0;
    }
  }
  check_layouts(s, mx ? std::span<const double>(x) : std::span<const double>(xf), blocks);
  if (s.scheme->family == bl::SchemeFamily::ggml_mxfp4) check_ggml_mxfp4(s, xf);
  if (s.hadamard) check_hadamard(s, xf);
  check_subject(s, xf);
  return 0;
}
