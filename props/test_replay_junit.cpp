// JUnit XML of `flashcheck replay` (cli/junit_report.hpp): escaping that keeps any text,
// paths and messages with markup, quotes, controls and broken UTF-8 included, well formed,
// and a document whose counts match its test cases.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cli/junit_report.hpp"

namespace flashcheck::cli {
namespace {

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// Every '&' starts one of the references the escaper writes.
bool references_are_known(const std::string& s) {
  static const std::vector<std::string> known{"&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#10;", "&#13;", "&#9;"};
  for (size_t at = s.find('&'); at != std::string::npos; at = s.find('&', at + 1)) {
    bool ok = false;
    for (const auto& k : known) ok = ok || s.compare(at, k.size(), k) == 0;
    if (!ok) return false;
  }
  return true;
}

// Valid UTF-8 holding only characters XML 1.0 allows (tab, LF and CR among the controls).
bool is_xml_text(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<uint8_t>(s[i]);
    if (b < 0x80) {
      if (b < 0x20 && b != '\t' && b != '\n' && b != '\r') return false;
      ++i;
      continue;
    }
    const size_t n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<uint8_t>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

TEST(ReplayJUnit, escapes_markup_in_text_and_attributes) {
  EXPECT_EQ(xml_escape("a<b>&c", false), "a&lt;b&gt;&amp;c");
  EXPECT_EQ(xml_escape("say \"x\" 'y'", false), "say \"x\" 'y'");
  EXPECT_EQ(xml_escape("say \"x\" 'y'", true), "say &quot;x&quot; &apos;y&apos;");
  EXPECT_EQ(xml_escape("line1\nline2\tz", false), "line1\nline2\tz");
  EXPECT_EQ(xml_escape("line1\nline2\tz", true), "line1&#10;line2&#9;z");
  EXPECT_EQ(xml_escape("a\rb", false), "a&#13;b");
  EXPECT_EQ(xml_escape("]]>", false), "]]&gt;");
}

TEST(ReplayJUnit, replaces_what_xml_cannot_hold) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(xml_escape(std::string("a\0b", 3), false), "a" + fffd + "b");
  EXPECT_EQ(xml_escape("\x1b[31m", false), fffd + "[31m");
  EXPECT_EQ(xml_escape("caf\xC3\xA9 \xE2\x88\x9E", false), "caf\xC3\xA9 \xE2\x88\x9E");  // valid UTF-8 kept
  EXPECT_EQ(xml_escape("\xC3", false), fffd);                // truncated sequence
  EXPECT_EQ(xml_escape("\xC0\xAF", false), fffd + fffd);     // overlong '/'
  EXPECT_EQ(xml_escape("\xED\xA0\x80", false), fffd + fffd + fffd);  // a surrogate
  EXPECT_EQ(xml_escape("\xFF", true), fffd);
}

RC_GTEST_PROP(ReplayJUnit, escaped_text_is_always_well_formed, (const std::string& text, bool in_attribute)) {
  const std::string escaped = xml_escape(text, in_attribute);
  RC_ASSERT(escaped.find('<') == std::string::npos);
  RC_ASSERT(escaped.find('>') == std::string::npos);
  RC_ASSERT(references_are_known(escaped));
  RC_ASSERT(is_xml_text(escaped));
  if (in_attribute) {
    RC_ASSERT(escaped.find('"') == std::string::npos);
    RC_ASSERT(escaped.find('\n') == std::string::npos);
  }
}

RC_GTEST_PROP(ReplayJUnit, plain_text_is_unchanged, ()) {
  const std::string text = *rc::gen::container<std::string>(rc::gen::inRange<char>('0', 'z' + 1));
  const bool markup = text.find_first_of("<>") != std::string::npos;
  RC_PRE(!markup);
  RC_ASSERT(xml_escape(text, false) == text);
}

TEST(ReplayJUnit, document_counts_and_elements) {
  JUnitSuite textbook{"cpu-textbook", {}};
  textbook.cases.push_back({"a.fcase on cpu-textbook", "replay.cpu-textbook", 0.25, JUnitCase::Result::passed, "", ""});
  textbook.cases.push_back({"b.fcase on cpu-textbook", "replay.cpu-textbook", 0.5, JUnitCase::Result::failure,
                            "FAIL [drift]: budget use 12 > 1", "worst element: O[0,0,0,0]\nreplay: flashcheck run <x>"});
  textbook.cases.push_back(
      {"c.fcase on cpu-textbook", "replay.cpu-textbook", 0, JUnitCase::Result::skipped, "unsupported: f64", ""});
  JUnitSuite files{"case files", {}};
  files.cases.push_back({"bad \"x\".fcase", "replay.case_files", 0, JUnitCase::Result::error, "bad checksum", "at 12"});
  const std::string xml = junit_xml("flashcheck replay", {textbook, files});

  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"flashcheck replay\" tests=\"4\" "
                      "failures=\"1\" errors=\"1\" skipped=\"1\" time=\"0.750000\">",
                      0),
            0u)
      << xml;
  EXPECT_NE(xml.find("<testsuite name=\"cpu-textbook\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""),
            std::string::npos);
  EXPECT_NE(xml.find("<testsuite name=\"case files\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\""),
            std::string::npos);
  EXPECT_NE(xml.find("<testcase name=\"a.fcase on cpu-textbook\" classname=\"replay.cpu-textbook\" time=\"0.250000\"/>"),
            std::string::npos);
  EXPECT_NE(xml.find("<failure message=\"FAIL [drift]: budget use 12 &gt; 1\">worst element: O[0,0,0,0]\n"
                     "replay: flashcheck run &lt;x&gt;</failure>"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<skipped message=\"unsupported: f64\"/>"), std::string::npos);
  EXPECT_NE(xml.find("<testcase name=\"bad &quot;x&quot;.fcase\""), std::string::npos);
  EXPECT_NE(xml.find("<error message=\"bad checksum\">at 12</error>"), std::string::npos);
  // Balanced elements: one close per open.
  EXPECT_EQ(occurrences(xml, "<testsuite "), occurrences(xml, "</testsuite>"));
  EXPECT_EQ(occurrences(xml, "<testcase "), 4u);
  EXPECT_EQ(occurrences(xml, "</testcase>") + occurrences(xml, "time=\"0.250000\"/>"), 4u);
  EXPECT_EQ(occurrences(xml, "</testsuites>"), 1u);
  EXPECT_TRUE(is_xml_text(xml));
}

TEST(ReplayJUnit, empty_document_is_valid) {
  EXPECT_EQ(junit_xml("r", {}),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"r\" tests=\"0\" failures=\"0\" errors=\"0\" "
            "skipped=\"0\" time=\"0.000000\">\n</testsuites>\n");
}

}  // namespace
}  // namespace flashcheck::cli
