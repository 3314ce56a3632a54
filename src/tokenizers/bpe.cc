// BPE (models/bpe/{model,word}.rs): characters (with byte fallback or the unknown
// token) merged pairwise, lowest merge rank first, leftmost first among equals.
#include <cstdio>
#include <queue>
#include <unordered_map>
#include <utility>

#include "embetter/error.h"
#include "tokenizers/components.h"
#include "tokenizers/unicode.h"
#include "tokenizers/vocab.h"

namespace emb::tokenizers {

Vocab parse_vocab_map(const Json& j, const ParseContext& ctx);

namespace {

struct PairHash {
  std::size_t operator()(std::uint64_t k) const noexcept { return std::hash<std::uint64_t>{}(k * 0x9E3779B97F4A7C15ull); }
};
std::uint64_t pair_key(std::int32_t a, std::int32_t b) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
}

struct MergeInfo {
  std::uint32_t rank;
  std::int32_t new_id;
};

struct Symbol {
  std::int32_t id;
  std::int32_t prev, next;
  std::size_t len;  // bytes of the word it covers; 0 = merged away
};

struct QueuedMerge {
  std::size_t pos;
  std::uint32_t rank;
  std::int32_t new_id;
  // std::priority_queue pops the largest: invert so that the lowest rank, then
  // the lowest position, comes first (as the Rust BinaryHeap ordering does).
  bool operator<(const QueuedMerge& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

class Bpe final : public Model {
 public:
  struct Config {
    std::optional<std::string> unk, prefix, suffix;
    bool byte_fallback = false, fuse_unk = false, ignore_merges = false;
  };

  Bpe(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges, Config cfg, const ParseContext& ctx)
      : vocab_(std::move(vocab)), cfg_(std::move(cfg)) {
    const std::size_t prefix_len = cfg_.prefix ? cfg_.prefix->size() : 0;
    merges_.reserve(merges.size());
    for (std::size_t rank = 0; rank < merges.size(); ++rank) {
      const auto& [a, b] = merges[rank];
      auto a_id = vocab_.find(a), b_id = vocab_.find(b);
      if (!a_id || !b_id)
        throw_malformed(ctx, detail::concat("merge #", rank, " '", a, " ", b, "' uses a token missing from the vocabulary"));
      const std::string merged = a + (b.size() >= prefix_len ? b.substr(prefix_len) : std::string());
      auto new_id = vocab_.find(merged);
      if (!new_id)
        throw_malformed(ctx, detail::concat("merge #", rank, " gives '", merged, "', which is not in the vocabulary"));
      merges_.emplace(pair_key(*a_id, *b_id), MergeInfo{static_cast<std::uint32_t>(rank), *new_id});
    }
    if (cfg_.unk) {
      auto id = vocab_.find(*cfg_.unk);
      unk_id_ = id ? *id : -1;
    }
  }

  void tokenize(std::string_view word, std::vector<Token>& out) const override {
    if (cfg_.ignore_merges) {
      if (auto id = vocab_.find(word)) {
        out.push_back({*id, std::string(word)});
        return;
      }
    }
    std::vector<Symbol> symbols;
    symbols.reserve(word.size());
    auto add = [&](std::int32_t id, std::size_t len) {
      const auto n = static_cast<std::int32_t>(symbols.size());
      if (n > 0) symbols.back().next = n;
      symbols.push_back({id, n - 1, -1, len});
    };
    // A pending unknown token (HF fuses runs of them when fuse_unk is set).
    bool has_unk = false;
    std::int32_t unk_id = 0;
    std::size_t unk_len = 0;
    std::string s;
    int len = 0;
    for (std::size_t i = 0; i < word.size(); i += len) {
      decode_utf8(word, i, len);
      const bool is_first = i == 0, is_last = i + len == word.size();
      s.clear();
      if (!is_first && cfg_.prefix) s += *cfg_.prefix;
      s.append(word, i, len);
      if (is_last && cfg_.suffix) s += *cfg_.suffix;
      if (auto id = vocab_.find(s)) {
        if (has_unk) {
          add(unk_id, unk_len);
          has_unk = false;
        }
        add(*id, static_cast<std::size_t>(len));
        continue;
      }
      if (cfg_.byte_fallback && add_bytes(s, add)) continue;  // HF leaves a pending unknown pending here
      if (cfg_.unk) {
        if (unk_id_ < 0)
          throw InvalidArgument(detail::concat("BPE: unk_token '", *cfg_.unk, "' is not in the vocabulary"));
        if (has_unk && cfg_.fuse_unk) {
          unk_len += static_cast<std::size_t>(len);
        } else {
          if (has_unk) add(unk_id, unk_len);
          has_unk = true;
          unk_id = unk_id_;
          unk_len = static_cast<std::size_t>(len);
        }
      }
    }
    if (has_unk) add(unk_id, unk_len);
    merge_all(symbols);
    for (const auto& sym : symbols)
      if (sym.len != 0) out.push_back({sym.id, *vocab_.token(sym.id)});
  }

  std::optional<std::int32_t> token_to_id(std::string_view token) const override { return vocab_.find(token); }
  std::optional<std::string> id_to_token(std::int32_t id) const override {
    if (const auto* t = vocab_.token(id)) return *t;
    return std::nullopt;
  }
  std::size_t id_bound() const override { return vocab_.id_bound(); }

 private:
  template <class Add>
  bool add_bytes(const std::string& s, Add& add) const {
    std::int32_t ids[64];
    if (s.size() > 64) return false;
    char name[8];
    for (std::size_t k = 0; k < s.size(); ++k) {
      std::snprintf(name, sizeof name, "<0x%02X>", static_cast<unsigned char>(s[k]));
      auto id = vocab_.find(name);
      if (!id) return false;
      ids[k] = *id;
    }
    for (std::size_t k = 0; k < s.size(); ++k) add(ids[k], 1);
    return true;
  }

  const MergeInfo* find_merge(std::int32_t a, std::int32_t b) const {
    auto it = merges_.find(pair_key(a, b));
    return it == merges_.end() ? nullptr : &it->second;
  }

  // Word::merge_all of HF, without dropout.
  void merge_all(std::vector<Symbol>& symbols) const {
    std::priority_queue<QueuedMerge> queue;
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i)
      if (const auto* m = find_merge(symbols[i].id, symbols[i + 1].id)) queue.push({i, m->rank, m->new_id});
    while (!queue.empty()) {
      const QueuedMerge top = queue.top();
      queue.pop();
      Symbol& cur = symbols[top.pos];
      if (cur.len == 0 || cur.next < 0) continue;
      const auto next_pos = static_cast<std::size_t>(cur.next);
      const Symbol right = symbols[next_pos];
      const auto* m = find_merge(cur.id, right.id);
      if (m == nullptr || m->new_id != top.new_id) continue;  // stale entry
      cur.id = top.new_id;
      cur.len += right.len;
      cur.next = right.next;
      symbols[next_pos].len = 0;
      if (right.next >= 0 && static_cast<std::size_t>(right.next) < symbols.size())
        symbols[static_cast<std::size_t>(right.next)].prev = static_cast<std::int32_t>(top.pos);
      if (cur.prev >= 0) {
        const auto prev = static_cast<std::size_t>(cur.prev);
        if (const auto* pm = find_merge(symbols[prev].id, cur.id)) queue.push({prev, pm->rank, pm->new_id});
      }
      if (cur.next >= 0 && static_cast<std::size_t>(cur.next) < symbols.size()) {
        if (const auto* nm = find_merge(cur.id, symbols[static_cast<std::size_t>(cur.next)].id))
          queue.push({top.pos, nm->rank, nm->new_id});
      }
    }
  }

  Vocab vocab_;
  Config cfg_;
  std::unordered_map<std::uint64_t, MergeInfo, PairHash> merges_;
  std::int32_t unk_id_ = -1;
};

std::optional<std::string> optional_string(const Json& j, const char* key, const ParseContext& ctx) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw_malformed(ctx, detail::concat("'", key, "' must be a string or null"));
  return it->get<std::string>();
}

}  // namespace

std::shared_ptr<const Model> parse_bpe(const Json& j, const ParseContext& ctx) {
  if (auto it = j.find("dropout"); it != j.end() && !it->is_null() && it->get<double>() > 0.0)
    throw NotSupportedError(ctx.origin + ": BPE dropout is not supported (it makes encoding random)");
  Bpe::Config cfg;
  cfg.unk = optional_string(j, "unk_token", ctx);
  cfg.prefix = optional_string(j, "continuing_subword_prefix", ctx);
  cfg.suffix = optional_string(j, "end_of_word_suffix", ctx);
  cfg.byte_fallback = get_bool(j, "byte_fallback", false, ctx);
  cfg.fuse_unk = get_bool(j, "fuse_unk", false, ctx);
  cfg.ignore_merges = get_bool(j, "ignore_merges", false, ctx);
  const Json& merges_json = require(j, "merges", ctx);
  if (!merges_json.is_array()) throw_malformed(ctx, "model.merges must be a list");
  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(merges_json.size());
  for (const auto& m : merges_json) {
    if (m.is_string()) {  // "a b" (the older format): split at the first space
      const auto& s = m.get_ref<const std::string&>();
      const auto space = s.find(' ');
      if (space == std::string::npos) throw_malformed(ctx, "merge '" + s + "' is not of the form 'a b'");
      merges.emplace_back(s.substr(0, space), s.substr(space + 1));
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      throw_malformed(ctx, "a merge must be \"a b\" or [\"a\", \"b\"], got " + excerpt(m));
    }
  }
  return std::make_shared<Bpe>(parse_vocab_map(require(j, "vocab", ctx), ctx.child(".vocab")), merges, std::move(cfg),
                               ctx);
}

}  // namespace emb::tokenizers
