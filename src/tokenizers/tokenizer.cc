// emb::Tokenizer: loads tokenizer.json (or vocab.txt) and runs the pipeline.
#include "embetter/tokenizer.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "embetter/error.h"
#include "embetter/threads.h"
#include "io/json_input.h"
#include "tokenizers/added_vocabulary.h"
#include "tokenizers/components.h"
#include "tokenizers/unicode.h"

namespace emb {

using tokenizers::Json;
using tokenizers::ParseContext;

struct Tokenizer::Impl {
  std::shared_ptr<const tokenizers::Normalizer> normalizer;
  std::shared_ptr<const tokenizers::PreTokenizer> pre_tokenizer;
  std::shared_ptr<const tokenizers::Model> model;
  std::shared_ptr<const tokenizers::PostProcessor> post_processor;
  std::shared_ptr<const tokenizers::AddedVocabulary> added;
  std::optional<std::int32_t> pad_id;
  std::size_t max_length = 0;
  /// The pre-tokenizer (if any) only cuts text: words are views, no copies.
  bool cuts_only() const { return pre_tokenizer == nullptr || pre_tokenizer->cuts_only(); }
};

namespace {

std::string read_text_file(const std::filesystem::path& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  EMB_CHECK_AS(ModelLoadError, in.good(), path.string(), ": cannot open the ", what);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<tokenizers::AddedToken> parse_added_tokens(const Json& j, const ParseContext& ctx) {
  std::vector<tokenizers::AddedToken> out;
  if (j.is_null()) return out;
  if (!j.is_array()) tokenizers::throw_malformed(ctx, "added_tokens must be a list");
  for (std::size_t i = 0; i < j.size(); ++i) {
    const auto c = ctx.child(detail::concat("[", i, "]"));
    const Json& t = j[i];
    tokenizers::AddedToken a;
    const Json& id = tokenizers::require(t, "id", c);
    a.id = tokenizers::get_id(id, "'id'", c);
    a.content = tokenizers::get_string(t, "content", c);
    a.single_word = tokenizers::get_bool(t, "single_word", false, c);
    a.lstrip = tokenizers::get_bool(t, "lstrip", false, c);
    a.rstrip = tokenizers::get_bool(t, "rstrip", false, c);
    a.special = tokenizers::get_bool(t, "special", false, c);
    a.normalized = tokenizers::get_bool(t, "normalized", !a.special, c);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::Tokenizer(const Tokenizer& o) : impl_(std::make_unique<Impl>(*o.impl_)) {}
Tokenizer& Tokenizer::operator=(const Tokenizer& o) {
  if (this != &o) impl_ = std::make_unique<Impl>(*o.impl_);
  return *this;
}
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_file(const std::filesystem::path& tokenizer_json) {
  return from_json(read_text_file(tokenizer_json, "tokenizer file"), tokenizer_json.string());
}

Tokenizer Tokenizer::from_json(std::string_view text, const std::string& origin) {
  const Json j = io::parse_json(text, origin);
  if (!j.is_object()) throw ModelLoadError(origin + ": expected a JSON object at the top level");
  auto impl = std::make_unique<Impl>();
  const auto section = [&](const char* key) -> const Json& {
    static const Json null_json;
    auto it = j.find(key);
    return it == j.end() ? null_json : *it;
  };
  try {
    impl->normalizer = tokenizers::parse_normalizer(section("normalizer"), {origin, "normalizer"});
    impl->pre_tokenizer = tokenizers::parse_pre_tokenizer(section("pre_tokenizer"), {origin, "pre_tokenizer"});
    impl->model = tokenizers::parse_model(section("model"), {origin, "model"});
    impl->post_processor = tokenizers::parse_post_processor(section("post_processor"), {origin, "post_processor"});
    impl->added = std::make_shared<tokenizers::AddedVocabulary>(
        parse_added_tokens(section("added_tokens"), {origin, "added_tokens"}), impl->normalizer.get());
    const Json& padding = section("padding");
    if (padding.is_object() && padding.contains("pad_id") && padding["pad_id"].is_number_integer())
      impl->pad_id = tokenizers::get_id(padding["pad_id"], "pad_id", {origin, "padding"});
  } catch (const Json::exception& e) {  // a value of the wrong JSON type deep inside a component
    throw ModelLoadError(detail::concat(origin, ": malformed tokenizer.json (", io::text_excerpt(e.what()), ")"));
  }
  return Tokenizer(std::move(impl));
}

Tokenizer Tokenizer::from_vocab_txt(const std::filesystem::path& vocab_txt, bool lowercase) {
  const std::string text = read_text_file(vocab_txt, "vocabulary file");
  const std::string origin = vocab_txt.string();
  EMB_CHECK_AS(ModelLoadError, tokenizers::find_invalid_utf8(text) == std::string::npos, origin,
               ": not valid UTF-8 (byte offset ", tokenizers::find_invalid_utf8(text), ")");
  // transformers' load_vocab: one token per line, trailing whitespace (and \r) stripped.
  std::vector<std::string> tokens;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    tokens.push_back(std::move(line));
    pos = nl + 1;
  }
  EMB_CHECK_AS(ModelLoadError, !tokens.empty(), origin, ": the vocabulary is empty");
  auto find = [&](const std::string& t) -> std::optional<std::int32_t> {
    for (std::size_t i = 0; i < tokens.size(); ++i)
      if (tokens[i] == t) return static_cast<std::int32_t>(i);
    return std::nullopt;
  };
  const auto cls = find("[CLS]"), sep = find("[SEP]"), unk = find("[UNK]");
  EMB_CHECK_AS(ModelLoadError, cls && sep && unk, origin, ": a BERT vocabulary needs [CLS], [SEP] and [UNK]");
  auto impl = std::make_unique<Impl>();
  impl->normalizer = tokenizers::make_bert_normalizer(true, true, lowercase, lowercase);
  impl->pre_tokenizer = tokenizers::make_bert_pre_tokenizer();
  std::vector<tokenizers::AddedToken> added;
  for (const char* special : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"})
    if (auto id = find(special)) added.push_back({*id, special, false, false, false, false, true});
  impl->pad_id = find("[PAD]");
  impl->model = tokenizers::make_wordpiece(std::move(tokens), "[UNK]", "##", 100);
  impl->post_processor = tokenizers::make_bert_processing({*cls, "[CLS]"}, {*sep, "[SEP]"});
  impl->added = std::make_shared<tokenizers::AddedVocabulary>(std::move(added), impl->normalizer.get());
  return Tokenizer(std::move(impl));
}

void Tokenizer::set_truncation(std::size_t max_length) { impl_->max_length = max_length; }
std::size_t Tokenizer::truncation() const { return impl_->max_length; }

Encoding Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  const std::size_t bad = tokenizers::find_invalid_utf8(text);
  EMB_CHECK(bad == std::string_view::npos, "Tokenizer::encode: the text is not valid UTF-8 (invalid byte at offset ",
            bad, " of ", text.size(), ")");
  const Impl& im = *impl_;
  // Scratch space kept per thread: encode_batch calls this for every text.
  thread_local std::vector<tokenizers::Section> sections;
  thread_local std::vector<tokenizers::Token> tokens;
  thread_local std::vector<std::string_view> words;
  sections.clear();
  tokens.clear();
  im.added->extract_and_normalize(text, im.normalizer.get(), sections);

  const bool cuts_only = im.cuts_only();
  std::vector<tokenizers::Piece> pieces;
  for (auto& section : sections) {
    if (section.token) {
      tokens.push_back({*section.token, std::move(section.text)});
      continue;
    }
    if (cuts_only) {
      words.clear();
      if (im.pre_tokenizer)
        im.pre_tokenizer->cut(section.text, words);
      else if (!section.text.empty())
        words.push_back(section.text);
      for (const auto w : words) im.model->tokenize(w, tokens);
      continue;
    }
    pieces.clear();
    pieces.push_back({std::move(section.text), section.at_origin});
    im.pre_tokenizer->pre_tokenize(pieces);
    for (const auto& p : pieces)
      if (!p.text.empty()) im.model->tokenize(p.text, tokens);
  }

  std::size_t added = 0;
  if (add_special_tokens && im.post_processor) added = im.post_processor->added_tokens();
  std::size_t kept = tokens.size();
  if (im.max_length > 0) kept = std::min(kept, im.max_length > added ? im.max_length - added : 0);

  Encoding enc;
  enc.ids.reserve(kept + added);
  enc.tokens.reserve(kept + added);
  for (std::size_t i = 0; i < kept; ++i) {
    enc.ids.push_back(tokens[i].id);
    enc.tokens.push_back(std::move(tokens[i].value));
  }
  enc.type_ids.assign(enc.ids.size(), 0);
  enc.special_tokens_mask.assign(enc.ids.size(), 0);
  if (add_special_tokens && im.post_processor) im.post_processor->process(enc);
  return enc;
}

std::vector<Encoding> Tokenizer::encode_batch(const std::vector<std::string>& texts, bool add_special_tokens) const {
  std::vector<Encoding> out(texts.size());
  // Texts go to the threads in small chunks from a shared counter: review
  // lengths vary a lot, so a static split would leave one thread idle.
  constexpr std::size_t kChunk = 16;
  const std::size_t chunks = (texts.size() + kChunk - 1) / kChunk;
  const std::size_t threads = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, num_threads())), chunks);
  std::atomic<std::size_t> next{0};
  // The error of the first failing text, as a sequential loop would report:
  // chunks are handed out in order and every started chunk is finished.
  std::exception_ptr error;
  std::size_t error_at = texts.size();
  std::mutex error_mutex;
  auto work = [&] {
    for (std::size_t c = next++; c < chunks; c = next++) {
      for (std::size_t i = c * kChunk, end = std::min(texts.size(), i + kChunk); i < end; ++i) {
        try {
          out[i] = encode(texts[i], add_special_tokens);
        } catch (...) {
          std::lock_guard lock(error_mutex);
          if (i < error_at) {
            error = std::current_exception();
            error_at = i;
          }
          next = chunks;
          break;
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  return out;
}

std::optional<std::int32_t> Tokenizer::token_to_id(std::string_view token) const {
  if (auto id = impl_->added->token_to_id(token)) return id;
  return impl_->model->token_to_id(token);
}

std::string Tokenizer::id_to_token(std::int32_t id) const {
  if (const auto* t = impl_->added->id_to_token(id)) return *t;
  if (auto t = impl_->model->id_to_token(id)) return *t;
  throw InvalidArgument(detail::concat("Tokenizer::id_to_token: unknown id ", id, " (vocabulary size ", vocab_size(), ")"));
}

std::size_t Tokenizer::vocab_size() const { return std::max(impl_->model->id_bound(), impl_->added->id_bound()); }

std::int32_t Tokenizer::pad_id() const {
  if (impl_->pad_id) return *impl_->pad_id;
  for (const char* t : {"[PAD]", "<pad>", "<PAD>"})
    if (auto id = token_to_id(t)) return *id;
  return 0;
}

}  // namespace emb
