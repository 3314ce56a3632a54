#include "embetter/explorer.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <string_view>

#include "embetter/error.h"
#include "io/atomic_file.h"
#include "io/markup.h"
#include "tokenizers/unicode.h"

namespace emb {
namespace plot::assets {
// Generated from explorer_page/ by cmake/EmbedFile.cmake (src/plot/CMakeLists.txt).
extern const std::string_view kExplorerHtml;
extern const std::string_view kExplorerCss;
extern const std::string_view kExplorerJs;
}  // namespace plot::assets

namespace {

// A JSON string literal that is also safe inside a <script> element: '<', '>'
// and '&' become \u escapes (so "</script" and "<!--" cannot appear), as do
// U+2028/U+2029 (line terminators to older JavaScript parsers).
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else if (c == 0xE2 && i + 2 < s.size() && s[i + 1] == '\x80' && (s[i + 2] == '\xA8' || s[i + 2] == '\xA9')) {
      out += s[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

void append_base64(std::string& out, const unsigned char* bytes, std::size_t n) {
  static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out.reserve(out.size() + (n + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += kDigits[v >> 18];
    out += kDigits[(v >> 12) & 63];
    out += kDigits[(v >> 6) & 63];
    out += kDigits[v & 63];
  }
  if (i < n) {
    const std::uint32_t v = (bytes[i] << 16) | (i + 1 < n ? bytes[i + 1] << 8 : 0);
    out += kDigits[v >> 18];
    out += kDigits[(v >> 12) & 63];
    out += i + 1 < n ? kDigits[(v >> 6) & 63] : '=';
    out += '=';
  }
}

void check_inputs(const std::vector<std::string>& texts, const std::vector<std::string>& labels,
                  const std::vector<ExplorerSpace>& spaces) {
  const std::size_t n = texts.size();
  EMB_CHECK(n > 0, "explorer: texts is empty; expected one text per point");
  EMB_CHECK(labels.empty() || labels.size() == n, "explorer: labels has ", labels.size(), " entries but texts has ",
            n, "; expected one label per text (\"\" = unlabelled) or no labels at all");
  EMB_CHECK(!spaces.empty(), "explorer: spaces is empty; expected at least one n x 2 projection");
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t bad = tokenizers::find_invalid_utf8(texts[i]);
    EMB_CHECK(bad == std::string::npos, "explorer: texts[", i, "] is not valid UTF-8 (byte offset ", bad, ")");
  }
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const std::size_t bad = tokenizers::find_invalid_utf8(labels[i]);
    EMB_CHECK(bad == std::string::npos, "explorer: labels[", i, "] is not valid UTF-8 (byte offset ", bad, ")");
  }
  std::set<std::string> names;
  for (std::size_t s = 0; s < spaces.size(); ++s) {
    const ExplorerSpace& space = spaces[s];
    const std::string what = "explorer: spaces[" + std::to_string(s) + "] ('" + space.name + "')";
    EMB_CHECK(!space.name.empty(), "explorer: spaces[", s, "] has an empty name; expected e.g. \"raw\" or \"tuned\"");
    EMB_CHECK(tokenizers::find_invalid_utf8(space.name) == std::string::npos, "explorer: spaces[", s,
              "]'s name is not valid UTF-8");
    EMB_CHECK(names.insert(space.name).second, what, ": the name is used twice; expected distinct names");
    EMB_CHECK(space.points.rows() == n && space.points.cols() == 2, what, " has shape [", space.points.rows(), ", ",
              space.points.cols(), "]; expected [", n, ", 2] (one 2-D point per text)");
    for (std::size_t r = 0; r < n; ++r) {
      EMB_CHECK(std::isfinite(space.points(r, 0)) && std::isfinite(space.points(r, 1)), what, ": row ", r,
                " is (", space.points(r, 0), ", ", space.points(r, 1), "); expected finite coordinates");
    }
  }
}

std::string data_json(const std::vector<std::string>& texts, const std::vector<std::string>& labels,
                      const std::vector<ExplorerSpace>& spaces, const ExplorerOptions& opts) {
  std::size_t text_bytes = 0;
  for (const std::string& t : texts) text_bytes += t.size() + 3;
  std::string out;
  out.reserve(text_bytes + texts.size() * (3 + spaces.size() * 11) + 256);
  out += "{\"title\":";
  append_json_string(out, opts.title);
  out += ",\"texts\":[";
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, texts[i]);
  }
  // Labels as indices into the sorted distinct labels: a few bytes a row.
  std::map<std::string, int> classes;
  for (const std::string& l : labels)
    if (!l.empty()) classes.emplace(l, 0);
  int next = 0;
  out += "],\"classes\":[";
  for (auto& [name, index] : classes) {
    if (next) out += ',';
    index = next++;
    append_json_string(out, name);
  }
  out += "],\"label_index\":[";
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (i) out += ',';
    out += labels.empty() || labels[i].empty() ? "-1" : std::to_string(classes.at(labels[i]));
  }
  out += "],\"spaces\":[";
  static_assert(std::endian::native == std::endian::little, "the page decodes little-endian float32");
  for (std::size_t s = 0; s < spaces.size(); ++s) {
    if (s) out += ',';
    out += "{\"name\":";
    append_json_string(out, spaces[s].name);
    out += ",\"xy\":\"";
    const Matrix& p = spaces[s].points;
    append_base64(out, reinterpret_cast<const unsigned char*>(p.data()), p.size() * sizeof(float));
    out += "\"}";
  }
  out += "]}";
  return out;
}

// The template with each "@NAME@" marker replaced by values.at(NAME), in one
// pass over the template: a value (a text of the data, say) is never searched.
std::string fill(std::string_view page, const std::map<std::string_view, std::string_view>& values) {
  std::string out;
  std::size_t from = 0;
  for (std::size_t at = page.find('@'); at != std::string_view::npos; at = page.find('@', at + 1)) {
    const std::size_t end = page.find('@', at + 1);
    if (end == std::string_view::npos) break;
    const auto it = values.find(page.substr(at + 1, end - at - 1));
    if (it == values.end()) continue;
    out.append(page.substr(from, at - from)).append(it->second);
    from = end + 1;
    at = end;
  }
  out.append(page.substr(from));
  return out;
}

}  // namespace

std::string render_explorer(const std::vector<std::string>& texts, const std::vector<std::string>& labels,
                            const std::vector<ExplorerSpace>& spaces, const ExplorerOptions& opts) {
  check_inputs(texts, labels, spaces);
  EMB_CHECK(tokenizers::find_invalid_utf8(opts.title) == std::string::npos,
            "explorer: the title is not valid UTF-8");
  const std::string data = data_json(texts, labels, spaces, opts);
  const std::string title = io::escape_markup(opts.title);
  return fill(plot::assets::kExplorerHtml, {{"TITLE", title},
                                            {"STYLE", plot::assets::kExplorerCss},
                                            {"SCRIPT", plot::assets::kExplorerJs},
                                            {"DATA", data}});
}

void write_explorer(const std::filesystem::path& path, const std::vector<std::string>& texts,
                    const std::vector<std::string>& labels, const std::vector<ExplorerSpace>& spaces,
                    const ExplorerOptions& opts) {
  io::write_file_atomic(path, render_explorer(texts, labels, spaces, opts));
}

}  // namespace emb
