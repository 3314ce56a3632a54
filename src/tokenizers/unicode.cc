#include "tokenizers/unicode.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "embetter/error.h"
#include "tokenizers/unicode_compat.h"

namespace emb::tokenizers {
namespace {

utf8proc_category_t category(char32_t c) { return utf8proc_category(static_cast<utf8proc_int32_t>(c)); }

bool in_sorted(const char32_t* begin, const char32_t* end, char32_t c) { return std::binary_search(begin, end, c); }

}  // namespace

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::size_t find_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char b0 = p[i];
    if (b0 < 0x80) { ++i; continue; }
    auto cont = [&](std::size_t k) { return i + k < n && (p[i + k] & 0xC0) == 0x80; };
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      if (!cont(1)) return i;
      i += 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      if (!cont(1) || !cont(2)) return i;
      const unsigned char b1 = p[i + 1];
      if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 >= 0xA0)) return i;  // overlong / surrogate
      i += 3;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      if (!cont(1) || !cont(2) || !cont(3)) return i;
      const unsigned char b1 = p[i + 1];
      if ((b0 == 0xF0 && b1 < 0x90) || (b0 == 0xF4 && b1 >= 0x90)) return i;  // overlong / > U+10FFFF
      i += 4;
    } else {
      return i;
    }
  }
  return std::string_view::npos;
}

std::size_t count_chars(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char b : s) n += (b & 0xC0) != 0x80;
  return n;
}

bool is_whitespace(char32_t c) {
  if (c < 0x80) return ascii_class(c) & kAsciiWhitespace;
  switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

// HF tokenizers takes Pc..Po, Cc/Cf/Co and Mn from the `unicode_categories`
// crate, whose tables predate the Unicode that utf8proc ships; unicode_compat.h
// lists the code points whose answer differs (measured against tokenizers 0.23).
bool is_punctuation(char32_t c) {
  if (c < 0x80) return ascii_class(c) & kAsciiPunctuation;
  const auto cat = category(c);
  const bool p = cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
  return p != in_sorted(std::begin(compat::kPunctuationFlip), std::end(compat::kPunctuationFlip), c);
}

bool is_bert_control(char32_t c) {
  if (c < 0x80) return ascii_class(c) & kAsciiBertControl;
  const auto cat = category(c);
  const bool other = cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF || cat == UTF8PROC_CATEGORY_CO ||
                     cat == UTF8PROC_CATEGORY_CS;
  return other != in_sorted(std::begin(compat::kOtherFlip), std::end(compat::kOtherFlip), c);
}

bool is_mark_nonspacing(char32_t c) {
  if (c < 0x300) return false;  // the first mark is U+0300, the compat lists start higher
  const bool mn = category(c) == UTF8PROC_CATEGORY_MN;
  return mn != in_sorted(std::begin(compat::kNonspacingFlip), std::end(compat::kNonspacingFlip), c);
}

bool is_combining_mark(char32_t c) {
  if (c < 0x300) return false;
  const auto cat = category(c);
  const bool mark = cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME;
  return mark != in_sorted(std::begin(compat::kMarkFlip), std::end(compat::kMarkFlip), c);
}

bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool is_alphanumeric(char32_t c) {
  if (c < 0x80) return ascii_class(c) & (kAsciiLetter | kAsciiDigit);
  const auto cat = category(c);
  return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
         (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
}

bool is_regex_letter(char32_t c) {
  if (c < 0x80) return ascii_class(c) & kAsciiLetter;
  const auto cat = category(c);
  return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
}

bool is_regex_number(char32_t c) {
  if (c < 0x80) return ascii_class(c) & kAsciiDigit;
  const auto cat = category(c);
  return cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO;
}

bool is_regex_space(char32_t c) { return is_whitespace(c); }

// Oniguruma's \w is Unicode's "word" class: Alphabetic, marks, decimal digits,
// connector punctuation and the joiners. Alphabetic = letters, letter numbers and
// Other_Alphabetic, whose only members outside the marks are the circled letters.
bool is_regex_word(char32_t c) {
  if (c < 0x80) return (ascii_class(c) & (kAsciiLetter | kAsciiDigit)) || c == '_';
  const auto cat = category(c);
  if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_ND) || cat == UTF8PROC_CATEGORY_NL ||
      cat == UTF8PROC_CATEGORY_PC)
    return true;
  return c == 0x200C || c == 0x200D || (c >= 0x24B6 && c <= 0x24E9) || (c >= 0x1F130 && c <= 0x1F149) ||
         (c >= 0x1F150 && c <= 0x1F169) || (c >= 0x1F170 && c <= 0x1F189);
}

void append_lowercase(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    return;
  }
  if (c == 0x130) {  // the one unconditional multi-character lowercase mapping
    out += "i\xCC\x87";
    return;
  }
  append_utf8(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
}

namespace {

std::string utf8proc_normalize(std::string_view s, int flags) {
  utf8proc_uint8_t* out = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                              static_cast<utf8proc_ssize_t>(s.size()), &out, static_cast<utf8proc_option_t>(flags));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
  EMB_CHECK(n >= 0, "unicode normalization failed: ", utf8proc_errmsg(n));
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

bool is_opaque(char32_t c) {
  return in_sorted(std::begin(compat::kNormalizationOpaque), std::end(compat::kNormalizationOpaque), c);
}

}  // namespace

// HF normalizes with older Unicode tables than utf8proc's: characters they do
// not know are starters without decomposition there, so we normalize the runs
// between them and keep them as they are (see tools/gen_unicode_compat.py).
std::string normalize(std::string_view s, NormalForm form) {
  int flags = UTF8PROC_STABLE;
  switch (form) {
    case NormalForm::NFC: flags |= UTF8PROC_COMPOSE; break;
    case NormalForm::NFD: flags |= UTF8PROC_DECOMPOSE; break;
    case NormalForm::NFKC: flags |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case NormalForm::NFKD: flags |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  bool ascii = true;
  for (unsigned char b : s) ascii &= b < 0x80;
  if (ascii) return std::string(s);  // every form leaves ASCII unchanged
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  std::size_t run = 0;
  int len = 0;
  for (std::size_t i = 0; i < s.size(); i += len) {
    const char32_t c = decode_utf8(s, i, len);
    if (c < 0x300 || !is_opaque(c)) continue;
    if (i > run) out += utf8proc_normalize(s.substr(run, i - run), flags);
    out.append(s, i, len);
    run = i + len;
  }
  if (run < s.size()) out += utf8proc_normalize(s.substr(run), flags);
  if (form == NormalForm::NFC || form == NormalForm::NFKC) {
    // Undo the few compositions HF's older tables do not make.
    std::string fixed;
    bool changed = false;
    for (std::size_t i = 0; i < out.size(); i += len) {
      const char32_t c = decode_utf8(out, i, len);
      if (c >= 0x300 && in_sorted(std::begin(compat::kNoCompose), std::end(compat::kNoCompose), c)) {
        fixed += utf8proc_normalize(std::string_view(out).substr(i, len), UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
        changed = true;
      } else {
        fixed.append(out, i, len);
      }
    }
    if (changed) out = std::move(fixed);
  }
  return out;
}

}  // namespace emb::tokenizers
