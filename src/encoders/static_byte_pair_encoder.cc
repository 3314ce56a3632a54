// BytePairEncoder: BPEmb's embed() (bpemb/bpemb.py) with mean/max pooling as the
// original embetter's BytePairEncoder.transform does it.
#include <sentencepiece_processor.h>
#include <utf8proc.h>

#include <algorithm>
#include <limits>

#include "embetter/error.h"
#include "embetter/static_encoders.h"
#include "encoders/word2vec_binary.h"
#include "text/python_unicode.h"

namespace emb {

struct BytePairEncoder::Impl {
  sentencepiece::SentencePieceProcessor sp;
  Matrix vectors;  // row i = piece id i, as BPEmb indexes emb.vectors by sentencepiece id
  BpeAggregation aggregation;
};

BytePairEncoder::BytePairEncoder(const std::filesystem::path& model_path, const std::filesystem::path& vectors_path,
                                 BpeAggregation aggregation)
    : impl_(std::make_unique<Impl>()) {
  EMB_CHECK_AS(ModelLoadError, std::filesystem::is_regular_file(model_path), "BytePairEncoder: the sentencepiece model ",
               model_path.string(), " does not exist");
  const auto status = impl_->sp.Load(model_path.string());
  EMB_CHECK_AS(ModelLoadError, status.ok(), "BytePairEncoder: cannot load the sentencepiece model ", model_path.string(),
               ": ", status.ToString());
  auto w2v = encoders::read_word2vec_binary(vectors_path);
  const auto pieces = static_cast<std::size_t>(impl_->sp.GetPieceSize());
  EMB_CHECK_AS(ModelLoadError, w2v.vectors.rows() >= pieces, vectors_path.string(), " has ", w2v.vectors.rows(),
               " vectors but ", model_path.string(), " has ", pieces,
               " pieces; expected one vector per piece (do the files belong together?)");
  impl_->vectors = std::move(w2v.vectors);
  impl_->aggregation = aggregation;
}

BytePairEncoder::BytePairEncoder(BytePairEncoder&&) noexcept = default;
BytePairEncoder& BytePairEncoder::operator=(BytePairEncoder&&) noexcept = default;
BytePairEncoder::~BytePairEncoder() = default;

std::string BytePairEncoder::preprocess(std::string_view text) {
  std::u32string decoded, lowered;
  const auto bad = text::decode_utf8(text, decoded);
  EMB_CHECK(bad == std::string_view::npos, "BytePairEncoder: the text is not valid UTF-8 (at byte ", bad, ")");
  text::append_python_lower(decoded, lowered);
  std::string out;
  out.reserve(text.size());
  for (char32_t c : lowered) {
    // re.sub(r"\d", "0", ...): \d on str is every Unicode decimal digit (category Nd).
    const bool digit = utf8proc_category(static_cast<utf8proc_int32_t>(c)) == UTF8PROC_CATEGORY_ND;
    text::append_utf8(digit ? U'0' : c, out);
  }
  return out;
}

std::vector<int> BytePairEncoder::encode_ids(std::string_view text) const {
  std::vector<int> ids;
  const auto status = impl_->sp.Encode(preprocess(text), &ids);
  EMB_CHECK_AS(Error, status.ok(), "BytePairEncoder: sentencepiece failed: ", status.ToString());
  return ids;
}

std::vector<std::string> BytePairEncoder::encode_pieces(std::string_view text) const {
  std::vector<std::string> pieces;
  const auto status = impl_->sp.Encode(preprocess(text), &pieces);
  EMB_CHECK_AS(Error, status.ok(), "BytePairEncoder: sentencepiece failed: ", status.ToString());
  return pieces;
}

std::size_t BytePairEncoder::dim() const {
  return impl_->vectors.cols() * (impl_->aggregation == BpeAggregation::Both ? 2 : 1);
}

std::size_t BytePairEncoder::vocab_size() const { return static_cast<std::size_t>(impl_->sp.GetPieceSize()); }

Matrix BytePairEncoder::encode(const std::vector<std::string>& texts, const ProgressFn& progress) const {
  constexpr std::size_t kProgressEvery = 1024;  // texts between cancellation checks
  const std::size_t d = impl_->vectors.cols();
  const bool want_mean = impl_->aggregation != BpeAggregation::Max;
  const bool want_max = impl_->aggregation != BpeAggregation::Mean;
  Matrix out(texts.size(), dim());
  std::vector<double> sum(d);
  std::vector<float> max(d);
  for (std::size_t t = 0; t < texts.size(); ++t) {
    if (t % kProgressEvery == 0 && t > 0) report_progress(progress, t, texts.size(), "BytePairEncoder.encode");
    const std::vector<int> ids = encode_ids(texts[t]);
    if (ids.empty()) continue;  // zeros (BPEmb's mean of nothing would be NaN)
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(max.begin(), max.end(), -std::numeric_limits<float>::infinity());
    for (int id : ids) {
      const auto v = impl_->vectors.row(static_cast<std::size_t>(id));
      for (std::size_t j = 0; j < d; ++j) {
        sum[j] += v[j];
        max[j] = std::max(max[j], v[j]);
      }
    }
    auto row = out.row(t);
    std::size_t col = 0;
    if (want_mean)
      for (std::size_t j = 0; j < d; ++j) row[col++] = static_cast<float>(sum[j] / static_cast<double>(ids.size()));
    if (want_max)
      for (std::size_t j = 0; j < d; ++j) row[col++] = max[j];
  }
  return out;
}

}  // namespace emb
