#include "embetter/sentence_encoder.h"

#include <utf8proc.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "embetter/error.h"
#include "embetter/hub.h"
#include "embetter/tokenizer.h"
#include "encoders/sentence_batches.h"
#include "encoders/sentence_model.h"
#include "io/json_input.h"
#include "models/config_json.h"

namespace emb {
namespace fs = std::filesystem;

struct SentenceEncoder::Impl {
  SentenceEncoderOptions options;
  std::string path;
  encoders::SentenceModel model;
  Tokenizer tokenizer;
  std::size_t max_seq_length = 0;
  std::size_t dim = 0;
};

namespace {

Tokenizer load_tokenizer(const fs::path& folder) {
  if (fs::exists(folder / "tokenizer.json")) return Tokenizer::from_file(folder / "tokenizer.json");
  if (fs::exists(folder / "vocab.txt")) {
    // Old BERT folders: transformers' BertTokenizer lowercases unless told not to.
    bool lowercase = true;
    if (const fs::path cfg = folder / "tokenizer_config.json"; fs::exists(cfg)) {
      const auto j = io::read_json_file(cfg);
      if (j.is_object()) lowercase = models::bool_or(j, "do_lower_case", true, cfg);
    }
    return Tokenizer::from_vocab_txt(folder / "vocab.txt", lowercase);
  }
  throw ModelLoadError(folder.string() + ": no tokenizer.json or vocab.txt");
}

// sentence_bert_config.json do_lower_case: sentence-transformers puts a
// Lowercase normalizer in front of the tokenizer. Simple case mapping per
// code point (utf8proc); invalid UTF-8 is left for the tokenizer to report.
std::string lowercase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(text.size());
  while (left > 0) {
    utf8proc_int32_t cp;
    const utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) return std::string(text);
    utf8proc_uint8_t buf[4];
    const utf8proc_ssize_t m = utf8proc_encode_char(utf8proc_tolower(cp), buf);
    out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(m));
    p += n;
    left -= n;
  }
  return out;
}

nn::Precision parse_precision(const std::string& name) {
  if (name == "fp32") return nn::Precision::Float32;
  if (name == "int8") return nn::Precision::Int8;
  EMB_CHECK_AS(NotSupportedError, name != "bf16",
               "SentenceEncoder: precision 'bf16' is not supported by this build (bfloat16 products would only be "
               "emulated on CPUs without AVX512-BF16); use 'int8' or 'fp32'");
  throw InvalidArgument("SentenceEncoder: precision '" + name + "' is unknown (accepted: 'fp32', 'int8')");
}

}  // namespace

SentenceEncoder::SentenceEncoder(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

SentenceEncoder SentenceEncoder::load(const std::string& name_or_path, SentenceEncoderOptions opts) {
  EMB_CHECK(opts.batch_size > 0, "SentenceEncoder: batch_size must be positive, got ", opts.batch_size);
  EMB_CHECK(opts.max_seq_length >= 0, "SentenceEncoder: max_seq_length must be >= 0, got ", opts.max_seq_length);
  EMB_CHECK(opts.truncate_dim >= 0, "SentenceEncoder: truncate_dim must be >= 0, got ", opts.truncate_dim);
  const nn::Precision precision = parse_precision(opts.precision);
  const fs::path folder = resolve_model(name_or_path, HubOptions{.show_progress = opts.show_progress_bar});
  auto model = encoders::SentenceModel::load(folder, precision);
  auto tokenizer = load_tokenizer(model.transformer_folder());
  // Checked here, where both files can be named, rather than at the first
  // text that meets such a token.
  EMB_CHECK_AS(ModelLoadError, tokenizer.vocab_size() <= model.vocab_rows(), model.transformer_folder().string(),
               ": the tokenizer's ids reach ", tokenizer.vocab_size() - 1, " but the word embeddings have ",
               model.vocab_rows(), " rows (config.json's vocab_size); tokenizer and weights do not belong together");
  std::size_t max_len = model.max_seq_length();
  if (opts.max_seq_length > 0) {
    EMB_CHECK(static_cast<std::size_t>(opts.max_seq_length) <= model.max_positions(), "SentenceEncoder: max_seq_length ",
              opts.max_seq_length, " exceeds the ", model.max_positions(), " positions of ", folder.string());
    max_len = static_cast<std::size_t>(opts.max_seq_length);
  }
  tokenizer.set_truncation(max_len);
  std::size_t dim = model.dim();
  if (opts.truncate_dim > 0) {
    EMB_CHECK(static_cast<std::size_t>(opts.truncate_dim) <= dim, "SentenceEncoder: truncate_dim ", opts.truncate_dim,
              " exceeds the model's ", dim, " dimensions");
    dim = static_cast<std::size_t>(opts.truncate_dim);
  }
  auto impl = std::make_shared<Impl>(
      Impl{std::move(opts), folder.string(), std::move(model), std::move(tokenizer), max_len, dim});
  return SentenceEncoder(std::move(impl));
}

std::vector<std::int32_t> SentenceEncoder::token_ids(std::string_view text) const {
  const auto& m = impl_->model;
  auto enc = m.do_lower_case() ? impl_->tokenizer.encode(lowercase(text)) : impl_->tokenizer.encode(text);
  return std::move(enc.ids);
}

namespace {

// Texts tokenised at a time by encode(). The token ids of a window are all
// that is held besides the output, and the first cancellation check comes
// after one window's tokenisation and one batch, however long the list.
// Embeddings do not depend on the batch a text lands in, so windows change
// no result; sorting by length within a window of a few thousand texts packs
// batches as well as sorting the whole list.
constexpr std::size_t kWindowTexts = 2048;

// sentence-transformers truncates first (truncate_dim), then normalises.
void copy_rows(const Matrix& full, std::size_t first_row, bool normalize, Matrix& out) {
  const std::size_t dim = out.cols();
  for (std::size_t r = 0; r < full.rows(); ++r) {
    const auto src = full.row(r);
    auto dst = out.row(first_row + r);
    std::copy_n(src.begin(), dim, dst.begin());
    if (normalize) {
      double sq = 0.0;
      for (float v : dst) sq += static_cast<double>(v) * v;
      const float norm = std::max(static_cast<float>(std::sqrt(sq)), 1e-12f);
      for (float& v : dst) v /= norm;
    }
  }
}

}  // namespace

Matrix SentenceEncoder::encode(const std::vector<std::string>& texts) const {
  return encode(texts.size(), [&](std::size_t begin, std::size_t end) {
    return std::span<const std::string>(texts).subspan(begin, end - begin);
  });
}

Matrix SentenceEncoder::encode(std::size_t n, const TextWindow& window) const {
  const auto& o = impl_->options;
  encoders::BatchOptions b;
  b.batch_size = static_cast<std::size_t>(o.batch_size);
  b.num_threads = o.num_threads;
  b.show_progress_bar = o.show_progress_bar;
  b.progress = o.progress;
  b.progress_total = n;
  // A whole number of batches per window, so that batches (and the progress
  // bar's count of them) are the same as without windows.
  const std::size_t window_size = (kWindowTexts + b.batch_size - 1) / b.batch_size * b.batch_size;
  const bool whole_rows = impl_->dim == impl_->model.dim() && !o.normalize_embeddings;
  Matrix out(0, impl_->dim);
  std::vector<std::vector<std::int32_t>> ids;
  for (std::size_t begin = 0; begin < n; begin += window_size) {
    const std::size_t end = std::min(n, begin + window_size);
    const std::span<const std::string> texts = window(begin, end);
    EMB_CHECK(texts.size() == end - begin, "SentenceEncoder.encode: the window of texts ", begin, "..", end, " holds ",
              texts.size());
    ids.resize(end - begin);
    for (std::size_t i = begin; i < end; ++i) {
      try {
        ids[i - begin] = token_ids(texts[i - begin]);
      } catch (const InvalidArgument& e) {
        throw InvalidArgument("SentenceEncoder.encode: text " + std::to_string(i) + ": " + e.what());
      }
    }
    b.progress_offset = begin;
    Matrix rows = encoders::embed_sequences(impl_->model, ids, b);
    if (end - begin == n && whole_rows) return rows;  // one window: no copy
    if (begin == 0) out = Matrix(n, impl_->dim);
    copy_rows(rows, begin, o.normalize_embeddings, out);
  }
  return out;
}

std::size_t SentenceEncoder::dim() const { return impl_->dim; }
std::size_t SentenceEncoder::max_seq_length() const { return impl_->max_seq_length; }
const SentenceEncoderOptions& SentenceEncoder::options() const { return impl_->options; }
const std::string& SentenceEncoder::model_path() const { return impl_->path; }

}  // namespace emb
