#pragma once
// Unicode helpers for the tokenizer pipeline: UTF-8 decoding and the
// character classes HF `tokenizers` (Rust) uses, on top of utf8proc.
//
// HF tokenizers classifies characters with three different sources, and we
// follow each: Rust's `char` methods (is_whitespace, to_lowercase, recent
// Unicode), the `unicode_categories` crate (is_punctuation, is_other,
// is_mark_nonspacing: old Unicode tables) and Oniguruma (the regexes of the
// ByteLevel and Whitespace pre-tokenizers). See unicode.cc for the details.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace emb::tokenizers {

/// Decodes the code point starting at byte `i` of valid UTF-8 `s`; sets `len` to its byte length.
inline char32_t decode_utf8(std::string_view s, std::size_t i, int& len) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) { len = 1; return b0; }
  if (b0 < 0xE0) {
    len = 2;
    return (char32_t(b0 & 0x1F) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3F);
  }
  if (b0 < 0xF0) {
    len = 3;
    return (char32_t(b0 & 0x0F) << 12) | (char32_t(static_cast<unsigned char>(s[i + 1]) & 0x3F) << 6) |
           (static_cast<unsigned char>(s[i + 2]) & 0x3F);
  }
  len = 4;
  return (char32_t(b0 & 0x07) << 18) | (char32_t(static_cast<unsigned char>(s[i + 1]) & 0x3F) << 12) |
         (char32_t(static_cast<unsigned char>(s[i + 2]) & 0x3F) << 6) |
         (static_cast<unsigned char>(s[i + 3]) & 0x3F);
}

/// Byte length of the UTF-8 sequence that starts with byte `b0` (valid input).
inline int utf8_length(unsigned char b0) { return b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4; }

/// Character classes of the ASCII range, one bit each, so that the hot loops
/// (and the functions below) answer ASCII without asking utf8proc.
enum AsciiClass : std::uint8_t {
  kAsciiWhitespace = 1,    ///< Rust is_whitespace: \t \n \v \f \r and space
  kAsciiBertControl = 2,   ///< is_bert_control: Cc except \t \n \r
  kAsciiPunctuation = 4,   ///< Unicode P* (is_punctuation)
  kAsciiBertPunctuation = 8,  ///< BERT's punctuation: P* plus every other ASCII symbol
  kAsciiLetter = 16,
  kAsciiDigit = 32,
};

namespace ascii_tables {
constexpr std::uint8_t ascii_class_of(unsigned c) {
  std::uint8_t k = 0;
  if ((c >= 9 && c <= 13) || c == ' ') k |= kAsciiWhitespace;
  if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) k |= kAsciiBertControl;
  for (const char* p = "!\"#%&'()*,-./:;?@[\\]_{}"; *p; ++p)
    if (static_cast<unsigned>(*p) == c) k |= kAsciiPunctuation;
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126))
    k |= kAsciiBertPunctuation;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) k |= kAsciiLetter;
  if (c >= '0' && c <= '9') k |= kAsciiDigit;
  return k;
}
struct AsciiTable {
  std::uint8_t classes[128];
  constexpr AsciiTable() : classes() {
    for (unsigned c = 0; c < 128; ++c) classes[c] = ascii_class_of(c);
  }
};
inline constexpr AsciiTable kAsciiTable{};
}  // namespace ascii_tables

/// The AsciiClass bits of an ASCII code point `c` (< 0x80).
inline std::uint8_t ascii_class(char32_t c) { return ascii_tables::kAsciiTable.classes[c]; }

/// Appends the UTF-8 encoding of `c` to `out`.
void append_utf8(std::string& out, char32_t c);

/// Byte offset of the first invalid UTF-8 sequence in `s`, or npos when `s` is valid
/// (overlong forms, surrogates and values above U+10FFFF are invalid, as in Rust's str).
std::size_t find_invalid_utf8(std::string_view s);

/// Number of code points of valid UTF-8 `s`.
std::size_t count_chars(std::string_view s);

/// Rust `char::is_whitespace` (the White_Space property).
bool is_whitespace(char32_t c);
/// `unicode_categories` is_punctuation (Pc Pd Ps Pe Pi Pf Po) as HF tokenizers sees it.
bool is_punctuation(char32_t c);
/// HF BertNormalizer's control test: `is_other` (Cc Cf Co Cs) minus \t \n \r.
bool is_bert_control(char32_t c);
/// `unicode_categories` is_mark_nonspacing (Mn), used by strip_accents.
bool is_mark_nonspacing(char32_t c);
/// `unicode-normalization-alignments` is_combining_mark (Mn Mc Me), used by StripAccents.
bool is_combining_mark(char32_t c);
/// The CJK ideograph ranges of BERT's `_is_chinese_char`.
bool is_chinese_char(char32_t c);
/// Rust `char::is_alphanumeric` (Alphabetic or Numeric) — used by added-token single_word.
bool is_alphanumeric(char32_t c);
/// Oniguruma's Unicode classes: \p{L}, \p{N}, \s and \w.
bool is_regex_letter(char32_t c);
bool is_regex_number(char32_t c);
bool is_regex_space(char32_t c);
bool is_regex_word(char32_t c);

/// Appends Rust's `char::to_lowercase(c)` (full mapping: U+0130 gives two code points).
void append_lowercase(std::string& out, char32_t c);

enum class NormalForm { NFC, NFD, NFKC, NFKD };
/// Unicode normalization of valid UTF-8 `s` (embedded NULs allowed).
std::string normalize(std::string_view s, NormalForm form);

}  // namespace emb::tokenizers
