#pragma once
// Escaping text for HTML and SVG/XML output (the demo report, chart labels):
// the same four characters matter to both.
#include <string>
#include <string_view>

namespace emb::io {

/// `s` with &, <, > and " replaced by their entities, safe inside elements and
/// double-quoted attributes.
inline std::string escape_markup(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace emb::io
