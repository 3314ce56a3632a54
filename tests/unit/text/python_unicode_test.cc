// Python's str.lower() and re `\w`, checked on every code point against the
// values CPython itself produced (tests/oracles/tfidf_oracle.py).
#include "text/python_unicode.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>

#include "support/test_support.h"

namespace emb::text {
namespace {

struct PythonRecord {
  std::uint32_t cp;
  std::u32string lower;
  bool word, sigma_after, sigma_after_a, sigma_before;
};

std::vector<PythonRecord> read_python_table(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  constexpr std::size_t kRecord = 17;
  EXPECT_EQ(bytes.size() % kRecord, 0u);
  std::vector<PythonRecord> out;
  for (std::size_t at = 0; at + kRecord <= bytes.size(); at += kRecord) {
    std::uint32_t v[4];
    std::memcpy(v, bytes.data() + at, sizeof v);
    const auto flags = static_cast<std::uint8_t>(bytes[at + 16]);
    PythonRecord r{v[0], {}, (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, (flags & 8) != 0};
    for (int k = 1; k < 4 && v[k] != 0; ++k) r.lower.push_back(v[k]);
    if (r.lower.empty()) r.lower.push_back(0);  // U+0000 lowers to itself (0 is the padding)
    out.push_back(std::move(r));
  }
  return out;
}

std::u32string lower(std::u32string_view s) {
  std::u32string out;
  append_python_lower(s, out);
  return out;
}

TEST(PythonUnicode, LowerAndWordCharactersMatchCPythonOnEveryCodePoint) {
  const auto path = test::oracle_dir() / "text_sklearn" / "unicode_table.bin";
  EMB_REQUIRE_FIXTURE(path);
  const auto table = read_python_table(path);
  ASSERT_GT(table.size(), 250000u);  // every assigned code point of Unicode 14 plus private use
  int mismatches = 0;
  for (const auto& r : table) {
    const char32_t c = r.cp;
    const bool word_ok = is_word_char(c) == r.word;
    const bool lower_ok = lower(std::u32string(1, c)) == r.lower;
    const bool after_ok = (lower(std::u32string{c, U'Σ'}).back() == U'ς') == r.sigma_after;
    const bool after_a_ok = (lower(std::u32string{U'A', c, U'Σ'}).back() == U'ς') == r.sigma_after_a;
    const bool before_ok = (lower(std::u32string{U'A', U'Σ', c})[1] == U'ς') == r.sigma_before;
    if (word_ok && lower_ok && after_ok && after_a_ok && before_ok) continue;
    if (++mismatches <= 20)
      ADD_FAILURE() << "U+" << std::hex << r.cp << std::dec << ": word " << word_ok << ", lower " << lower_ok
                    << ", sigma contexts " << after_ok << after_a_ok << before_ok;
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(PythonUnicode, SpecialLowercaseMappings) {
  EXPECT_EQ(lower(U"İ"), U"i\u0307");
  EXPECT_EQ(lower(U"ΟΔΟΣ ΟΔΟΣ. Σ ΑΣΒ ΑΣ'"), U"οδος οδος. σ ασβ ας'");
  EXPECT_EQ(lower(U"ẞ"), U"ß");
  EXPECT_EQ(lower(U"ǅ"), U"ǆ");
}

TEST(PythonUnicode, DecodeRejectsWhatPythonsStrictDecoderRejects) {
  const std::pair<std::string, std::size_t> bad[] = {
      {"ab\x80", 2},                 // lone continuation byte
      {"a\xC0\xAF", 1},              // overlong '/'
      {"\xE2\x82", 0},               // truncated euro sign
      {"xy\xED\xA0\x80", 2},         // UTF-16 surrogate
      {"\xF4\x90\x80\x80", 0},       // above U+10FFFF
      {"ok \xFF", 3},
  };
  for (const auto& [text, offset] : bad) {
    std::u32string out;
    EXPECT_EQ(decode_utf8(text, out), offset) << text;
  }
  std::u32string out;
  EXPECT_EQ(decode_utf8("é€😀", out), std::string_view::npos);
  EXPECT_EQ(out, U"é€😀");
  std::string round;
  for (char32_t c : out) append_utf8(c, round);
  EXPECT_EQ(round, "é€😀");
}

}  // namespace
}  // namespace emb::text
