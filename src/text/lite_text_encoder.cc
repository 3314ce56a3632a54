#include "embetter/lite_text_encoder.h"

#include <Eigen/Core>
#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/eigen.h"
#include "cpu/kernel_table.h"
#include "embetter/error.h"
#include "embetter/truncated_svd.h"
#include "io/json_input.h"
#include "io/safetensors.h"
#include "linalg/csr_view.h"
#include "linalg/randomized_svd.h"

namespace emb {
namespace {

using nlohmann::json;

constexpr const char* kModelKey = "embetter.model";
constexpr const char* kModelName = "LiteTextEncoder";
constexpr const char* kFormatKey = "embetter.format_version";
constexpr const char* kFormatVersion = "1";
constexpr std::size_t kProgressEvery = 1024;  // rows projected between cancellation checks

// The original casts idf_ and components_ to numpy float16 (round to nearest even).
float round_to_half(float v) { return static_cast<float>(Eigen::half(v)); }

// The same over millions of values (dim × vocabulary): the kernel table's
// (F16C converts eight at a time with the same rounding, where Eigen::half,
// compiled for the baseline, converts in software).
void round_to_half(float* v, std::size_t n) { cpu::kernels().round_to_half(v, n); }

json params_to_json(const LiteTextEncoderParams& p) {
  const TfidfParams& t = p.tfidf;
  return {{"dim", p.dim},
          {"lite", p.lite},
          {"random_state", p.random_state ? json(*p.random_state) : json(nullptr)},
          {"lowercase", t.lowercase},
          {"sublinear_tf", t.sublinear_tf},
          {"smooth_idf", t.smooth_idf},
          {"use_idf", t.use_idf},
          {"min_df", t.min_df},
          {"max_df", t.max_df},
          {"max_features", t.max_features ? json(*t.max_features) : json(nullptr)}};
}

LiteTextEncoderParams params_from_json(const json& j) {
  LiteTextEncoderParams p;
  p.dim = j.at("dim").get<int>();
  p.lite = j.at("lite").get<bool>();
  if (!j.at("random_state").is_null()) p.random_state = j.at("random_state").get<std::uint64_t>();
  TfidfParams& t = p.tfidf;
  t.lowercase = j.at("lowercase").get<bool>();
  t.sublinear_tf = j.at("sublinear_tf").get<bool>();
  t.smooth_idf = j.at("smooth_idf").get<bool>();
  t.use_idf = j.at("use_idf").get<bool>();
  t.min_df = j.at("min_df").get<double>();
  t.max_df = j.at("max_df").get<double>();
  if (!j.at("max_features").is_null()) t.max_features = j.at("max_features").get<std::size_t>();
  return p;
}

io::SafetensorsWriter to_writer(const LiteTextEncoder& enc) {
  io::SafetensorsWriter w;
  w.set_metadata(kModelKey, kModelName);
  w.set_metadata(kFormatKey, kFormatVersion);
  w.set_metadata("params", params_to_json(enc.params()).dump());
  w.set_metadata("vocabulary", json(enc.vectorizer().feature_names()).dump());
  const auto& idf = enc.vectorizer().idf();
  if (!idf.empty()) w.add("idf", {static_cast<std::int64_t>(idf.size())}, idf);
  w.add("components", enc.components());
  return w;
}

}  // namespace

LiteTextEncoder::LiteTextEncoder(LiteTextEncoderParams params)
    : params_(std::move(params)), vectorizer_(params_.tfidf) {
  EMB_CHECK(params_.dim >= 1, "LiteTextEncoder: dim is ", params_.dim, "; expected at least 1");
}

LiteTextEncoder& LiteTextEncoder::fit(const std::vector<std::string>& texts, const ProgressFn& progress) {
  EMB_CHECK(!texts.empty(), "LiteTextEncoder.fit: texts is empty; expected at least one text");
  TfidfVectorizer vectorizer(params_.tfidf);
  const SparseMatrix tfidf = vectorizer.fit_transform(texts, progress);
  // scikit-learn's TruncatedSVD refuses more components than features (and fewer than 2 features).
  EMB_CHECK(tfidf.cols >= 2 && static_cast<std::size_t>(params_.dim) <= tfidf.cols, "LiteTextEncoder.fit: dim=",
            params_.dim, " but the ", texts.size(), " texts give a vocabulary of only ", tfidf.cols,
            " terms; expected dim <= vocabulary size (and at least 2 terms): pass a smaller dim or more text");

  // scikit-learn would silently return min(dim, texts) components; a width that
  // depends on the corpus size is a trap downstream, so we refuse instead.
  EMB_CHECK(static_cast<std::size_t>(params_.dim) <= texts.size(), "LiteTextEncoder.fit: dim=", params_.dim,
            " but only ", texts.size(), " texts were given; expected dim <= number of texts (the SVD finds at most ",
            "one component per text): pass a smaller dim or fit on more text");
  // TruncatedSvd's randomized SVD with its defaults, called directly: fit()
  // would also project the training texts for explained_variance_ratio, which
  // the encoder never uses (a quarter of the fit's time).
  const TruncatedSvdParams svd_defaults;
  const linalg::CsrView view(tfidf, "LiteTextEncoder.fit: tf-idf");
  Rng rng(params_.random_state);
  const auto svd = linalg::randomized_svd(
      view.eigen(), {params_.dim, svd_defaults.n_oversamples, svd_defaults.n_iter, progress}, rng);
  Matrix components = to_matrix(svd.components);
  EMB_ASSERT(components.rows() == dim() && components.cols() == tfidf.cols);

  if (params_.lite) {
    // As the original: the SVD saw full-precision tf-idf; what is kept is float16.
    std::vector<float> idf = vectorizer.idf();
    for (float& v : idf) v = round_to_half(v);
    vectorizer = TfidfVectorizer::from_state(params_.tfidf, vectorizer.feature_names(), std::move(idf));
    round_to_half(components.data(), components.size());
  }
  vectorizer_ = std::move(vectorizer);
  set_components(std::move(components));
  return *this;
}

Matrix LiteTextEncoder::transform(const std::vector<std::string>& texts, const ProgressFn& progress) const {
  EMB_CHECK_AS(NotFittedError, fitted(), "LiteTextEncoder.transform: this encoder is not fitted yet; call fit first");
  EMB_CHECK(!texts.empty(), "LiteTextEncoder.transform: texts is empty; expected at least one text");
  const SparseMatrix tfidf = vectorizer_.transform(texts, progress);
  // tfidf @ components.T, row by row in a fixed order (bitwise reproducible),
  // accumulated in double as scikit-learn's float64 product. Each stored tf-idf
  // value scales one contiguous row of the transposed components.
  const std::size_t d = dim();
  Matrix out(tfidf.rows, d);
  std::vector<double> acc(d);
  for (std::size_t r = 0; r < tfidf.rows; ++r) {
    if (r % kProgressEvery == 0 && r > 0) report_progress(progress, r, tfidf.rows, "LiteTextEncoder.transform");
    std::fill(acc.begin(), acc.end(), 0.0);
    for (auto k = tfidf.indptr[r]; k < tfidf.indptr[r + 1]; ++k) {
      const double v = tfidf.values[static_cast<std::size_t>(k)];
      const float* term_row = components_t_.row(static_cast<std::size_t>(tfidf.indices[static_cast<std::size_t>(k)])).data();
      for (std::size_t c = 0; c < d; ++c) acc[c] += v * static_cast<double>(term_row[c]);
    }
    for (std::size_t c = 0; c < d; ++c) out(r, c) = static_cast<float>(acc[c]);
  }
  return out;
}

void LiteTextEncoder::set_components(Matrix components) {
  components_ = std::move(components);
  // Transposed tile by tile: an element-wise transpose of dim × V misses the
  // cache on every write once V runs into the tens of thousands.
  constexpr std::size_t kTile = 32;
  const std::size_t rows = components_.rows(), cols = components_.cols();
  components_t_ = Matrix(cols, rows);
  for (std::size_t r0 = 0; r0 < rows; r0 += kTile)
    for (std::size_t c0 = 0; c0 < cols; c0 += kTile)
      for (std::size_t r = r0; r < std::min(rows, r0 + kTile); ++r)
        for (std::size_t c = c0; c < std::min(cols, c0 + kTile); ++c) components_t_(c, r) = components_(r, c);
}

const TfidfVectorizer& LiteTextEncoder::vectorizer() const {
  EMB_CHECK_AS(NotFittedError, fitted(), "LiteTextEncoder.vectorizer: this encoder is not fitted yet");
  return vectorizer_;
}

const Matrix& LiteTextEncoder::components() const {
  EMB_CHECK_AS(NotFittedError, fitted(), "LiteTextEncoder.components: this encoder is not fitted yet");
  return components_;
}

void LiteTextEncoder::save(const std::filesystem::path& path) const {
  EMB_CHECK_AS(NotFittedError, fitted(), "LiteTextEncoder.save: this encoder is not fitted yet; nothing to save to ",
               path);
  to_writer(*this).write(path);
}

std::string LiteTextEncoder::to_bytes() const {
  EMB_CHECK_AS(NotFittedError, fitted(), "LiteTextEncoder.to_bytes: this encoder is not fitted yet");
  return to_writer(*this).to_bytes();
}

namespace {

struct SavedState {
  LiteTextEncoderParams params;
  std::vector<std::string> vocabulary;
  std::vector<float> idf;
  Matrix components;
};

SavedState read_state(const io::SafetensorsFile& file) {
  const std::string where = file.path().string();
  const auto& meta = file.metadata();
  auto get = [&](const char* key) -> const std::string& {
    auto it = meta.find(key);
    EMB_CHECK_AS(ModelLoadError, it != meta.end(), where, ": metadata has no '", key,
                 "'; expected a file written by LiteTextEncoder.save");
    return it->second;
  };
  EMB_CHECK_AS(ModelLoadError, get(kModelKey) == kModelName, where, ": holds a '", get(kModelKey),
               "', not a LiteTextEncoder");
  EMB_CHECK_AS(ModelLoadError, get(kFormatKey) == kFormatVersion, where, ": format version '", get(kFormatKey),
               "' is not supported (expected ", kFormatVersion, ")");
  SavedState s;
  try {
    s.params = params_from_json(io::parse_json(get("params"), where + ": metadata 'params'"));
    s.vocabulary = io::parse_json(get("vocabulary"), where + ": metadata 'vocabulary'").get<std::vector<std::string>>();
  } catch (const json::exception& e) {
    throw ModelLoadError(detail::concat(where, ": unreadable 'params' or 'vocabulary' metadata: ", io::text_excerpt(e.what())));
  }
  const auto n_terms = static_cast<std::int64_t>(s.vocabulary.size());
  if (s.params.tfidf.use_idf) {
    EMB_CHECK_AS(ModelLoadError, file.contains("idf"), where, ": no 'idf' tensor; expected one of shape [", n_terms,
                 "]");
    s.idf = file.matrix("idf", {n_terms}).release();
  }
  s.components = file.matrix("components", {s.params.dim, n_terms});
  EMB_CHECK_AS(ModelLoadError, s.components.all_finite(), where, ": 'components' holds NaN or infinite values");
  return s;
}

}  // namespace

LiteTextEncoder LiteTextEncoder::restore(const io::SafetensorsFile& file) {
  SavedState s = read_state(file);
  try {
    LiteTextEncoder enc(s.params);
    enc.vectorizer_ = TfidfVectorizer::from_state(s.params.tfidf, std::move(s.vocabulary), std::move(s.idf));
    enc.set_components(std::move(s.components));
    return enc;
  } catch (const InvalidArgument& e) {
    throw ModelLoadError(detail::concat(file.path().string(), ": ", e.what()));
  }
}

LiteTextEncoder LiteTextEncoder::load(const std::filesystem::path& path) {
  return restore(io::SafetensorsFile::open(path));
}

LiteTextEncoder LiteTextEncoder::from_bytes(std::string bytes) {
  return restore(io::open_safetensors_bytes(std::move(bytes), "<LiteTextEncoder bytes>"));
}

}  // namespace emb
