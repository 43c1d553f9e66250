#include "cli/junit_report.hpp"

#include <cstdint>

#include <fmt/format.h>

#include "core/case_json.hpp"

namespace flashcheck::cli {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting at text[i] (0 when it is not one),
// rejecting overlong forms, surrogates and code points past U+10FFFF.
size_t utf8_sequence_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t lead = byte(i);
  size_t length = 0;
  uint32_t code = 0;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0Fu;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07u;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0u) != 0x80u) return 0;
    code = (code << 6) | (byte(i + k) & 0x3Fu);
  }
  const uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < smallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  if (code == 0xFFFE || code == 0xFFFF) return 0;  // not XML characters either
  return length;
}

std::string attribute(std::string_view text) { return xml_escape(text, true); }

const char* element_of(JUnitCase::Result r) {
  switch (r) {
    case JUnitCase::Result::failure: return "failure";
    case JUnitCase::Result::error: return "error";
    case JUnitCase::Result::skipped: return "skipped";
    case JUnitCase::Result::passed: break;
  }
  return nullptr;
}

struct Counts {
  size_t tests = 0, failures = 0, errors = 0, skipped = 0;
  double seconds = 0;
  void add(const JUnitCase& c) {
    ++tests;
    failures += c.result == JUnitCase::Result::failure;
    errors += c.result == JUnitCase::Result::error;
    skipped += c.result == JUnitCase::Result::skipped;
    seconds += c.seconds;
  }
  std::string attributes() const {
    return fmt::format("tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.6f}\"", tests, failures,
                       errors, skipped, seconds);
  }
};

void append_case(std::string& out, const JUnitCase& c) {
  out += fmt::format("    <testcase name=\"{}\" classname=\"{}\" time=\"{:.6f}\"", attribute(c.name),
                     attribute(c.classname), c.seconds);
  const char* element = element_of(c.result);
  if (!element) {
    out += "/>\n";
    return;
  }
  out += fmt::format(">\n      <{} message=\"{}\"", element, attribute(c.message));
  if (c.text.empty())
    out += "/>\n";
  else
    out += fmt::format(">{}</{}>\n", xml_escape(c.text, false), element);
  out += "    </testcase>\n";
}

}  // namespace

std::string xml_escape(std::string_view text, bool in_attribute) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const char ch = text[i];
    const size_t length = utf8_sequence_length(text, i);
    if (length == 0) {  // a stray byte: one replacement character each
      out += kReplacement;
      ++i;
      continue;
    }
    if (length > 1) {
      out.append(text.substr(i, length));
      i += length;
      continue;
    }
    ++i;
    switch (ch) {
      case '&': out += "&amp;"; continue;
      case '<': out += "&lt;"; continue;
      case '>': out += "&gt;"; continue;
      case '"': out += in_attribute ? "&quot;" : "\""; continue;
      case '\'': out += in_attribute ? "&apos;" : "'"; continue;
      case '\n': out += in_attribute ? "&#10;" : "\n"; continue;
      case '\r': out += "&#13;"; continue;  // a raw CR would be read back as a line break
      case '\t': out += in_attribute ? "&#9;" : "\t"; continue;
      default: break;
    }
    if (static_cast<unsigned char>(ch) < 0x20)
      out += kReplacement;  // XML 1.0 cannot hold the other C0 controls, not even as references
    else
      out += ch;
  }
  return out;
}

std::string junit_xml(const std::string& name, const std::vector<JUnitSuite>& suites) {
  Counts total;
  std::string body;
  for (const JUnitSuite& suite : suites) {
    Counts counts;
    for (const JUnitCase& c : suite.cases) counts.add(c);
    for (const JUnitCase& c : suite.cases) total.add(c);
    body += fmt::format("  <testsuite name=\"{}\" {}>\n", attribute(suite.name), counts.attributes());
    for (const JUnitCase& c : suite.cases) append_case(body, c);
    body += "  </testsuite>\n";
  }
  return fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" {}>\n{}</testsuites>\n",
                     attribute(name), total.attributes(), body);
}

void write_junit(const std::string& path, const std::string& name, const std::vector<JUnitSuite>& suites) {
  write_file_atomically(path, junit_xml(name, suites), /*overwrite=*/true);
}

}  // namespace flashcheck::cli
