#pragma once
// JUnit XML, the test-report format CI systems read: <testsuites> of <testsuite>s of
// <testcase>s, each passed, failed (<failure>), broken (<error>) or skipped (<skipped>).
// Text is escaped for XML 1.0: markup characters become entities, characters XML cannot
// hold (controls other than tab / newline / return, invalid UTF-8) become U+FFFD.
#include <string>
#include <string_view>
#include <vector>

namespace flashcheck::cli {

struct JUnitCase {
  enum class Result { passed, failure, error, skipped };
  std::string name;
  std::string classname;
  double seconds = 0;
  Result result = Result::passed;
  std::string message;  // the element's message attribute (one line)
  std::string text;     // the element's body (details, may span lines)
};

struct JUnitSuite {
  std::string name;
  std::vector<JUnitCase> cases;
};

// Escapes for element text; in_attribute also escapes quotes and keeps line breaks and
// tabs (which attribute normalization would otherwise turn into spaces) as references.
std::string xml_escape(std::string_view text, bool in_attribute);

// The whole document, with per-suite and total counts of tests, failures, errors, skipped.
std::string junit_xml(const std::string& name, const std::vector<JUnitSuite>& suites);

// Writes junit_xml atomically (never half a file at path). Throws std::runtime_error naming
// the path when it cannot be written.
void write_junit(const std::string& path, const std::string& name, const std::vector<JUnitSuite>& suites);

}  // namespace flashcheck::cli
