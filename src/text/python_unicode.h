#pragma once
// Python's str semantics that scikit-learn's text analysis relies on, built on
// utf8proc's Unicode tables:
//   * str.lower(): full lowercase mapping (U+0130 'İ' → "i\u0307") and the
//     Final_Sigma rule for U+03A3 'Σ' (→ 'ς' at the end of a word);
//   * the `re` module's Unicode \w: str.isalnum() or '_', i.e. the general
//     categories L* and N* plus '_' (combining marks are NOT word characters).
// Python 3.11 ships Unicode 14 and utf8proc 2.8 Unicode 15: characters first
// assigned in Unicode 15 are word characters here but not in Python.
#include <string>
#include <string_view>

namespace emb::text {

/// True when Python's re `\w` (str patterns) matches `c`.
bool is_word_char(char32_t c) noexcept;

/// Appends Python's str.lower() of `text` to `out`.
void append_python_lower(std::u32string_view text, std::u32string& out);

/// Decodes UTF-8 into code points (appended to `out`). Returns the byte offset
/// of the first invalid sequence (overlong forms, surrogates and values above
/// U+10FFFF are invalid, as in Python's strict decoder), or npos when valid.
std::size_t decode_utf8(std::string_view text, std::u32string& out);

/// Appends the UTF-8 encoding of `c` (a valid scalar value) to `out`.
void append_utf8(char32_t c, std::string& out);

}  // namespace emb::text
