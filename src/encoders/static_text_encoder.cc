// TextEncoder: model2vec's StaticModel (model2vec/model.py) — loading as
// from_pretrained does, encoding as encode()/_encode_batch do.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "embetter/error.h"
#include "embetter/hub.h"
#include "embetter/static_encoders.h"
#include "embetter/tokenizer.h"
#include "io/json_input.h"
#include "io/safetensors.h"
#include "models/config_json.h"
#include "text/python_unicode.h"

namespace emb {
namespace fs = std::filesystem;
namespace {

using Json = nlohmann::json;

constexpr std::size_t kDefaultMaxLength = 512;  // model2vec's DEFAULT_MAX_LENGTH
constexpr std::size_t kProgressEvery = 1024;     // texts between cancellation checks

// The folder layouts model2vec accepts (persistence/datamodels.py), in its order.
struct Layout {
  fs::path config, embeddings, tokenizer;
  const char* tensor;
};

Layout find_layout(const fs::path& folder) {
  const Layout layouts[] = {
      {folder / "config.json", folder / "model.safetensors", folder / "tokenizer.json", "embeddings"},
      {folder / "config_sentence_transformers.json", folder / "model.safetensors", folder / "tokenizer.json",
       "embedding.weight"},
      {folder / "config_sentence_transformers.json", folder / "0_StaticEmbedding" / "model.safetensors",
       folder / "0_StaticEmbedding" / "tokenizer.json", "embedding.weight"},
  };
  for (const Layout& l : layouts)
    if (fs::is_regular_file(l.config) && fs::is_regular_file(l.embeddings) && fs::is_regular_file(l.tokenizer))
      return l;
  throw ModelLoadError(folder.string() +
                       " is not a model2vec model: expected config.json, model.safetensors and tokenizer.json "
                       "(or sentence-transformers' StaticEmbedding layout)");
}

// Number of code points (the text is valid UTF-8: checked before).
std::size_t byte_offset_of_char(std::string_view s, std::size_t chars) {
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (chars == 0) return i;
      --chars;
    }
  }
  return i;
}

// Any integer tensor as int64 (model2vec's `mapping` is int32 or int64).
std::vector<std::int64_t> read_integers(const io::SafetensorsFile& st, const std::string& name) {
  const io::TensorInfo& info = st.info(name);
  const auto bytes = st.bytes(name);
  std::vector<std::int64_t> out;
  auto copy = [&]<class T>(T) {
    out.resize(bytes.size() / sizeof(T));
    for (std::size_t i = 0; i < out.size(); ++i) {
      T v;
      std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
      out[i] = static_cast<std::int64_t>(v);
    }
  };
  switch (info.dtype) {
    case io::DType::I64: copy(std::int64_t{}); break;
    case io::DType::I32: copy(std::int32_t{}); break;
    case io::DType::I16: copy(std::int16_t{}); break;
    default:
      throw ModelLoadError(st.path().string() + ": tensor '" + name + "' has dtype " +
                           std::string(io::dtype_name(info.dtype)) + "; expected an integer type (I64, I32, I16)");
  }
  return out;
}

// The embedding table as float32; int8 tables (model2vec's quantize_to="int8") are used as
// plain numbers, as model2vec does.
Matrix read_embeddings(const io::SafetensorsFile& st, const std::string& name) {
  EMB_CHECK_AS(ModelLoadError, st.contains(name), st.path().string(), ": no tensor '", name,
               "' (a model2vec model keeps its vectors there)");
  const io::TensorInfo& info = st.info(name);
  EMB_CHECK_AS(ModelLoadError, info.shape.size() == 2, st.path().string(), ": '", name, "' has ", info.shape.size(),
               " dimensions; expected [vocabulary, dim]");
  if (info.dtype != io::DType::I8)
    return Matrix(static_cast<std::size_t>(info.shape[0]), static_cast<std::size_t>(info.shape[1]),
                  st.finite_floats(name));
  const auto bytes = st.bytes(name);
  Matrix m(static_cast<std::size_t>(info.shape[0]), static_cast<std::size_t>(info.shape[1]));
  for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(static_cast<std::int8_t>(bytes[i]));
  return m;
}

}  // namespace

struct TextEncoder::Impl {
  fs::path folder;
  Tokenizer tokenizer;
  Matrix embeddings;                  // rows × dim
  std::vector<std::int64_t> mapping;  // token id → row; empty: the id is the row
  std::vector<float> weights;         // per token id; empty: none
  std::optional<std::int32_t> unk_id;
  bool normalize = false;
  std::size_t max_length = kDefaultMaxLength;  // 0: none
  std::size_t median_token_length = 0;

  Impl(fs::path f, Tokenizer t) : folder(std::move(f)), tokenizer(std::move(t)) {}
};

TextEncoder::TextEncoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TextEncoder::TextEncoder(TextEncoder&&) noexcept = default;
TextEncoder& TextEncoder::operator=(TextEncoder&&) noexcept = default;
TextEncoder::~TextEncoder() = default;

TextEncoder TextEncoder::load(const std::string& name_or_path, const TextEncoderOptions& opts) {
  const fs::path folder = resolve_model(name_or_path, {.revision = opts.revision, .show_progress = opts.show_progress});
  const Layout layout = find_layout(folder);
  auto impl = std::make_unique<Impl>(folder, Tokenizer::from_file(layout.tokenizer));
  const Json config = io::read_json_file(layout.config);
  EMB_CHECK_AS(ModelLoadError, config.is_object(), layout.config.string(), ": expected a JSON object; got ",
               io::json_excerpt(config));

  // The vocabulary as tokenizers' get_vocab() sees it (model vocab + added tokens),
  // for the median token length and the unknown token.
  const Json tok = io::read_json_file(layout.tokenizer);
  std::map<std::int64_t, std::size_t> token_chars;  // id → length in code points
  auto add_token = [&](const std::string& token, std::int64_t id) {
    std::u32string cps;
    text::decode_utf8(token, cps);
    token_chars[id] = cps.size();
  };
  const Json& model = tok.at("model");
  if (model.contains("vocab") && model["vocab"].is_object()) {
    for (const auto& [token, id] : model["vocab"].items()) add_token(token, id.get<std::int64_t>());
  } else if (model.contains("vocab") && model["vocab"].is_array()) {  // Unigram: [piece, score] pairs
    std::int64_t id = 0;
    for (const Json& entry : model["vocab"]) add_token(entry.at(0).get<std::string>(), id++);
  }
  for (const Json& added : tok.value("added_tokens", Json::array()))
    add_token(added.at("content").get<std::string>(), added.at("id").get<std::int64_t>());
  EMB_CHECK_AS(ModelLoadError, !token_chars.empty(), layout.tokenizer.string(), ": the vocabulary is empty");
  std::vector<std::size_t> lengths;
  for (const auto& [id, n] : token_chars) lengths.push_back(n);
  std::sort(lengths.begin(), lengths.end());
  const std::size_t mid = lengths.size() / 2;
  // int(np.median(...)): the mean of the two middle values for an even count, truncated.
  impl->median_token_length = lengths.size() % 2 ? lengths[mid] : (lengths[mid - 1] + lengths[mid]) / 2;

  // _get_unk_token_id: the model's unk_token (WordPiece/BPE/WordLevel) or unk_id (Unigram).
  if (model.contains("unk_token")) {
    if (model["unk_token"].is_string()) impl->unk_id = impl->tokenizer.token_to_id(model["unk_token"].get<std::string>());
  } else if (model.contains("unk_id") && model["unk_id"].is_number_integer()) {
    impl->unk_id = model["unk_id"].get<std::int32_t>();
  }

  const auto st = io::SafetensorsFile::open(layout.embeddings);
  impl->embeddings = read_embeddings(st, layout.tensor);
  if (st.contains("mapping")) impl->mapping = read_integers(st, "mapping");
  if (st.contains("weights")) impl->weights = st.finite_floats("weights");
  const std::size_t vocab = token_chars.size();
  const std::size_t rows = impl->embeddings.rows();
  if (impl->mapping.empty()) {
    EMB_CHECK_AS(ModelLoadError, rows == vocab, layout.embeddings.string(), ": '", layout.tensor, "' has ", rows,
                 " rows but ", layout.tokenizer.string(), " has ", vocab, " tokens; expected one vector per token");
  } else {
    EMB_CHECK_AS(ModelLoadError, impl->mapping.size() == vocab, layout.embeddings.string(), ": 'mapping' has ",
                 impl->mapping.size(), " entries; expected one per token (", vocab, ")");
    for (std::int64_t row : impl->mapping)
      EMB_CHECK_AS(ModelLoadError, row >= 0 && static_cast<std::size_t>(row) < rows, layout.embeddings.string(),
                   ": 'mapping' points at row ", row, " of ", rows);
  }
  EMB_CHECK_AS(ModelLoadError, impl->weights.empty() || impl->weights.size() == vocab, layout.embeddings.string(),
               ": 'weights' has ", impl->weights.size(), " entries; expected one per token (", vocab, ")");

  // Explicit options win over config.json, as in from_pretrained.
  impl->normalize = opts.normalize.value_or(models::bool_or(config, "normalize", false, layout.config));
  if (opts.max_length) {
    impl->max_length = *opts.max_length;
  } else if (config.contains("max_length")) {
    const Json& m = config["max_length"];
    EMB_CHECK_AS(ModelLoadError, m.is_null() || (m.is_number_integer() && m.get<long long>() > 0),
                 layout.config.string(), ": 'max_length' must be a positive integer or null; got ", io::json_excerpt(m));
    impl->max_length = m.is_null() ? 0 : m.get<std::size_t>();
  }
  impl->tokenizer.set_truncation(impl->max_length);
  return TextEncoder(std::move(impl));
}

std::vector<std::int32_t> TextEncoder::token_ids(std::string_view text) const {
  std::u32string scratch;
  const auto bad = text::decode_utf8(text, scratch);
  EMB_CHECK(bad == std::string_view::npos, "TextEncoder: the text is not valid UTF-8 (at byte ", bad, ")");
  // model2vec first cuts the text to max_length × the median token length (in characters).
  if (impl_->max_length) text = text.substr(0, byte_offset_of_char(text, impl_->max_length * impl_->median_token_length));
  std::vector<std::int32_t> ids = impl_->tokenizer.encode(text, /*add_special_tokens=*/false).ids;
  if (impl_->unk_id) std::erase(ids, *impl_->unk_id);  // model2vec drops the unknown token
  return ids;
}

Matrix TextEncoder::encode(const std::vector<std::string>& texts, const ProgressFn& progress) const {
  const std::size_t d = dim();
  Matrix out(texts.size(), d);
  std::vector<double> sum(d);
  for (std::size_t t = 0; t < texts.size(); ++t) {
    if (t % kProgressEvery == 0 && t > 0) report_progress(progress, t, texts.size(), "TextEncoder.encode");
    const std::vector<std::int32_t> ids = token_ids(texts[t]);
    if (ids.empty()) continue;  // zeros, as model2vec
    std::fill(sum.begin(), sum.end(), 0.0);
    for (std::int32_t id : ids) {
      const auto idx = static_cast<std::size_t>(id);
      const std::size_t row = impl_->mapping.empty() ? idx : static_cast<std::size_t>(impl_->mapping[idx]);
      const double w = impl_->weights.empty() ? 1.0 : impl_->weights[idx];
      const auto v = impl_->embeddings.row(row);
      for (std::size_t j = 0; j < d; ++j) sum[j] += w * v[j];
    }
    auto r = out.row(t);
    double norm2 = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
      r[j] = static_cast<float>(sum[j] / static_cast<double>(ids.size()));
      norm2 += static_cast<double>(r[j]) * r[j];
    }
    if (impl_->normalize) {
      const float norm = static_cast<float>(std::sqrt(norm2)) + 1e-32f;  // model2vec adds 1e-32
      for (float& x : r) x /= norm;
    }
  }
  return out;
}

std::size_t TextEncoder::dim() const { return impl_->embeddings.cols(); }
bool TextEncoder::normalize() const { return impl_->normalize; }
std::size_t TextEncoder::max_length() const { return impl_->max_length; }
const fs::path& TextEncoder::folder() const { return impl_->folder; }

}  // namespace emb
