#include "io/json_input.h"

#include <fstream>
#include <sstream>

#include "embetter/error.h"

namespace emb::io {
namespace {

using json = nlohmann::json;

/// Thrown from the parser's callback to stop it at the nesting limit.
struct TooDeep {};

[[noreturn]] void fail(JsonSource source, const std::string& message) {
  if (source == JsonSource::Input) throw InvalidArgument(message);
  throw ModelLoadError(message);
}

void excerpt_into(const json& v, std::string& out, std::size_t budget) {
  if (out.size() > budget) return;
  switch (v.type()) {
    case json::value_t::object: {
      out += '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end() && out.size() <= budget; ++it) {
        if (!first) out += ',';
        first = false;
        excerpt_into(json(it.key()), out, budget);
        out += ':';
        excerpt_into(*it, out, budget);
      }
      out += '}';
      return;
    }
    case json::value_t::array: {
      out += '[';
      bool first = true;
      for (auto it = v.begin(); it != v.end() && out.size() <= budget; ++it) {
        if (!first) out += ',';
        first = false;
        excerpt_into(*it, out, budget);
      }
      out += ']';
      return;
    }
    case json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      const std::size_t keep = std::min(s.size(), budget - out.size() + 1);
      out += json(s.substr(0, keep)).dump(-1, ' ', false, json::error_handler_t::replace);
      return;
    }
    default:
      out += v.dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

}  // namespace

std::string text_excerpt(std::string_view text, std::size_t max_chars) {
  if (text.size() <= max_chars) return std::string(text);
  std::size_t cut = max_chars;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a sequence
  return std::string(text.substr(0, cut)) + "…";
}

std::string json_excerpt(const json& value, std::size_t max_chars) {
  std::string out;
  excerpt_into(value, out, max_chars);
  return text_excerpt(out, max_chars);
}

json parse_json(std::string_view text, const std::string& origin, JsonSource source, const TopLevelKeyCheck& key_check) {
  const json::parser_callback_t limit = [&](int depth, json::parse_event_t event, json& parsed) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= kMaxJsonDepth)
      throw TooDeep{};
    if (key_check && event == json::parse_event_t::key && depth == 1) key_check(parsed.get_ref<const std::string&>());
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), limit);
  } catch (const TooDeep&) {
    fail(source, origin + ": JSON nested more than " + std::to_string(kMaxJsonDepth) +
                     " levels deep (no model file nests more than a few)");
  } catch (const json::exception& e) {
    fail(source, origin + ": not valid JSON (" + text_excerpt(e.what(), 2 * kExcerptChars) + ")");
  }
}

json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EMB_CHECK_AS(ModelLoadError, in.good(), path.string(), ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  EMB_CHECK_AS(ModelLoadError, !in.bad(), path.string(), ": read error");
  return parse_json(text.view(), path.string());
}

std::int32_t json_token_id(const json& value, const std::string& where) {
  if (value.is_number_unsigned() && value.get<std::uint64_t>() <= static_cast<std::uint64_t>(kMaxTokenId))
    return static_cast<std::int32_t>(value.get<std::uint64_t>());
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0 && value.get<std::int64_t>() <= kMaxTokenId)
    return static_cast<std::int32_t>(value.get<std::int64_t>());
  throw ModelLoadError(where + ": token id " + json_excerpt(value) + " is not an integer in [0, " +
                       std::to_string(kMaxTokenId) + "]");
}

}  // namespace emb::io
