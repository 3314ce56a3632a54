#pragma once
// JSON from files we do not control (tokenizer.json, config.json,
// modules.json, safetensors headers, JSONL records): parsed with a nesting
// limit, and quoted in errors by a short excerpt only. The JSON library
// parses iteratively but prints recursively, so an error message that
// printed a value nested 100,000 deep overflowed the stack; and a component
// tree (tokenizer `Sequence`s) is only as deep as its JSON, so this one limit
// bounds every recursive walk over a parsed document too.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace emb::io {

/// Deeper than any real model file (tokenizer.json: 6 levels).
inline constexpr int kMaxJsonDepth = 64;
/// Excerpts of bad values and of the parser's own messages stop here.
inline constexpr std::size_t kExcerptChars = 80;

enum class JsonSource {
  ModelFile,  ///< errors are ModelLoadError
  Input,      ///< the user's data (a JSONL line): errors are InvalidArgument
};

/// Called for each key of the top-level object (to reject duplicates, say).
using TopLevelKeyCheck = std::function<void(const std::string& key)>;

/// Parses `text` read from `origin` (a file name, or "file:line"). Syntax
/// errors, numbers out of range and nesting deeper than kMaxJsonDepth throw
/// (ModelLoadError or InvalidArgument by `source`) naming `origin`, quoting at
/// most kExcerptChars of the parser's message.
nlohmann::json parse_json(std::string_view text, const std::string& origin, JsonSource source = JsonSource::ModelFile,
                          const TopLevelKeyCheck& key_check = nullptr);

/// Reads and parses a model file; ModelLoadError naming it if it cannot be read.
nlohmann::json read_json_file(const std::filesystem::path& path);

/// At most `max_chars` of `value` as compact JSON ("…" where cut), without
/// printing the whole value first (a 100 MB array costs what it shows).
std::string json_excerpt(const nlohmann::json& value, std::size_t max_chars = kExcerptChars);

/// At most `max_chars` of `text` ("…" where cut, never inside a UTF-8 sequence).
std::string text_excerpt(std::string_view text, std::size_t max_chars = kExcerptChars);

/// Token ids stop here: 16.8 million, 16× the largest vocabulary we know of,
/// and a table of that many ids still fits in memory (2³¹ − 1 did not).
inline constexpr std::int64_t kMaxTokenId = (std::int64_t{1} << 24) - 1;

/// `value` as a token id: an integer in [0, kMaxTokenId]; anything else
/// throws ModelLoadError naming `where` (nlohmann's get<std::int32_t> would
/// wrap 2³² to 0 and −1 to a huge id silently).
std::int32_t json_token_id(const nlohmann::json& value, const std::string& where);

}  // namespace emb::io
