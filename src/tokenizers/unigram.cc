// Unigram (models/unigram/model.rs, encode_optimized): Viterbi over the
// pieces that start at each character, unknown characters scored
// min_score - 10 and consecutive unknowns fused into one token.
#include <cstdio>
#include <limits>
#include <utility>

#include "embetter/error.h"
#include "tokenizers/components.h"
#include "tokenizers/unicode.h"
#include "tokenizers/vocab.h"

namespace emb::tokenizers {
namespace {

constexpr double kUnkPenalty = 10.0;

class Unigram final : public Model {
 public:
  Unigram(std::vector<std::pair<std::string, double>> pieces, std::optional<std::int32_t> unk_id, bool byte_fallback)
      : unk_id_(unk_id), byte_fallback_(byte_fallback) {
    scores_.reserve(pieces.size());
    min_score_ = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      max_piece_bytes_ = std::max(max_piece_bytes_, pieces[i].first.size());
      min_score_ = std::min(min_score_, pieces[i].second);
      scores_.push_back(pieces[i].second);
      vocab_.add(std::move(pieces[i].first), static_cast<std::int32_t>(i));
    }
  }

  void tokenize(std::string_view s, std::vector<Token>& out) const override {
    struct Node {
      std::int32_t id = 0;
      double score = 0.0;
      std::size_t start = kNone;
    };
    const std::size_t n = s.size();
    std::vector<Node> best(n + 1);
    const double unk_score = min_score_ - kUnkPenalty;
    int len = 0;
    for (std::size_t start = 0; start < n; start += len) {
      decode_utf8(s, start, len);
      const double base = best[start].score;
      bool has_single = false;
      // Pieces starting here, shortest first (the trie's order in HF).
      for (std::size_t end = start + 1; end <= n && end - start <= max_piece_bytes_; ++end) {
        if (end < n && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) continue;
        auto id = vocab_.find(s.substr(start, end - start));
        if (!id) continue;
        const double score = base + scores_[static_cast<std::size_t>(*id)];
        Node& target = best[end];
        if (target.start == kNone || score > target.score) target = {*id, score, start};
        if (end - start == static_cast<std::size_t>(len)) has_single = true;
      }
      if (!has_single) {
        if (!unk_id_) throw InvalidArgument("Unigram: the text needs the unknown token but the model has no unk_id");
        Node& target = best[start + static_cast<std::size_t>(len)];
        const double score = base + unk_score;
        if (target.start == kNone || score > target.score) target = {*unk_id_, score, start};
      }
    }
    // Walk back, fusing runs of unknowns.
    std::vector<std::pair<std::size_t, std::size_t>> spans;  // [start, end) in reverse order
    std::size_t end = n, unk_end = kNone;
    while (end > 0) {
      const Node& node = best[end];
      if (unk_id_ && node.id == *unk_id_) {
        if (unk_end == kNone) unk_end = end;
      } else {
        if (unk_end != kNone) {
          spans.emplace_back(end, unk_end);
          unk_end = kNone;
        }
        spans.emplace_back(node.start, end);
      }
      end = node.start;
    }
    if (unk_end != kNone) spans.emplace_back(0, unk_end);
    for (auto it = spans.rbegin(); it != spans.rend(); ++it) emit(s.substr(it->first, it->second - it->first), out);
  }

  std::optional<std::int32_t> token_to_id(std::string_view token) const override { return vocab_.find(token); }
  std::optional<std::string> id_to_token(std::int32_t id) const override {
    if (const auto* t = vocab_.token(id)) return *t;
    return std::nullopt;
  }
  std::size_t id_bound() const override { return vocab_.id_bound(); }

 private:
  static constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

  void emit(std::string_view piece, std::vector<Token>& out) const {
    if (auto id = vocab_.find(piece)) {
      out.push_back({*id, std::string(piece)});
      return;
    }
    if (byte_fallback_) {
      const std::size_t first = out.size();
      char name[8];
      bool ok = true;
      for (unsigned char b : piece) {
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        auto id = vocab_.find(name);
        if (!id) {
          ok = false;
          break;
        }
        out.push_back({*id, name});
      }
      if (ok) return;
      out.resize(first);
    }
    out.push_back({*unk_id_, std::string(piece)});
  }

  Vocab vocab_;
  std::vector<double> scores_;
  std::optional<std::int32_t> unk_id_;
  bool byte_fallback_;
  double min_score_ = 0.0;
  std::size_t max_piece_bytes_ = 0;
};

}  // namespace

std::shared_ptr<const Model> parse_unigram(const Json& j, const ParseContext& ctx) {
  const Json& vocab = require(j, "vocab", ctx);
  if (!vocab.is_array()) throw_malformed(ctx, "Unigram model.vocab must be a list of [piece, score]");
  std::vector<std::pair<std::string, double>> pieces;
  pieces.reserve(vocab.size());
  for (const auto& p : vocab) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_number())
      throw_malformed(ctx, "Unigram vocab entries must be [piece, score], got " + excerpt(p));
    pieces.emplace_back(p[0].get<std::string>(), p[1].get<double>());
  }
  std::optional<std::int32_t> unk_id;
  if (auto it = j.find("unk_id"); it != j.end() && !it->is_null()) {
    if (!it->is_number_unsigned() || it->get<std::size_t>() >= pieces.size())
      throw_malformed(ctx, "Unigram unk_id must be an index into the vocabulary");
    unk_id = it->get<std::int32_t>();
  }
  return std::make_shared<Unigram>(std::move(pieces), unk_id, get_bool(j, "byte_fallback", false, ctx));
}

}  // namespace emb::tokenizers
