// JSON access helpers for tokenizer.json: every failure names the file and the key.
#include "embetter/error.h"
#include "io/json_input.h"
#include "tokenizers/components.h"

namespace emb::tokenizers {

void throw_malformed(const ParseContext& ctx, const std::string& what) {
  throw ModelLoadError(detail::concat(ctx.origin, ": ", ctx.path.empty() ? "" : ctx.path + ": ", what));
}

void throw_unsupported(const ParseContext& ctx, const std::string& kind, const std::string& type,
                       const char* supported) {
  throw NotSupportedError(detail::concat(ctx.origin, ": ", kind, " type '", io::text_excerpt(type), "' at '", ctx.path,
                                         "' is not supported (supported: ", supported, ")"));
}

const Json& require(const Json& j, const char* key, const ParseContext& ctx) {
  if (!j.is_object()) throw_malformed(ctx, "expected a JSON object");
  auto it = j.find(key);
  if (it == j.end()) throw_malformed(ctx, detail::concat("missing key '", key, "'"));
  return *it;
}

std::string get_string(const Json& j, const char* key, const ParseContext& ctx) {
  const Json& v = require(j, key, ctx);
  if (!v.is_string()) throw_malformed(ctx, detail::concat("'", key, "' must be a string, got ", v.type_name()));
  return v.get<std::string>();
}

bool get_bool(const Json& j, const char* key, bool fallback, const ParseContext& ctx) {
  if (!j.is_object()) throw_malformed(ctx, "expected a JSON object");
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) throw_malformed(ctx, detail::concat("'", key, "' must be true or false, got ", excerpt(*it)));
  return it->get<bool>();
}

std::int32_t get_id(const Json& v, const std::string& what, const ParseContext& ctx) {
  return io::json_token_id(v, detail::concat(ctx.origin, ": ", ctx.path.empty() ? "" : ctx.path + ": ", what));
}

std::string excerpt(const Json& v) { return io::json_excerpt(v); }

std::string type_of(const Json& j, const ParseContext& ctx) { return get_string(j, "type", ctx); }

}  // namespace emb::tokenizers
