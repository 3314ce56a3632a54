#pragma once
/// @file lite_text_encoder.h
/// emb::LiteTextEncoder: embetter's `learn_lite_text_embeddings` recipe, a text
/// embedding that needs no pretrained weights: TF-IDF (scikit-learn's
/// TfidfVectorizer, see tfidf.h) followed by randomized TruncatedSVD with
/// n_components = dim. Rows are not normalised (neither are the original's).
///
/// `lite` mirrors the original: the SVD is fitted on full-precision TF-IDF, then
/// idf and the SVD components are rounded to float16 precision, and transform
/// uses those rounded values. (The file stores them as float32 holding
/// float16-exact values.)
#include <filesystem>
#include <string>
#include <vector>

#include "embetter/matrix.h"
#include "embetter/progress.h"
#include "embetter/random.h"
#include "embetter/tfidf.h"

namespace emb {
namespace io {
class SafetensorsFile;
}

struct LiteTextEncoderParams {
  int dim = 300;        ///< embedding size = TruncatedSVD n_components (≤ vocabulary size and ≤ number of texts)
  bool lite = true;     ///< round idf and components to float16 after fitting
  RandomState random_state;  ///< seeds the randomized SVD
  TfidfParams tfidf;    ///< the vectorizer's options (scikit-learn defaults)
};

class LiteTextEncoder {
 public:
  explicit LiteTextEncoder(LiteTextEncoderParams params = {});

  /// Learns vocabulary, idf and the SVD. Throws InvalidArgument on an empty
  /// list, invalid UTF-8 (naming the text), a vocabulary smaller than dim
  /// (as scikit-learn), or fewer texts than dim (where scikit-learn would
  /// silently return fewer components).
  ///
  /// `progress` is told how each stage advances: (texts counted, texts) every
  /// 1024 texts of the TF-IDF step, then (iterations, n_iter) of the SVD's
  /// power iterations. Returning false stops with Interrupted and leaves the
  /// encoder as it was (Ctrl-C from Python).
  LiteTextEncoder& fit(const std::vector<std::string>& texts, const ProgressFn& progress = {});
  /// n × dim embeddings in input order. Throws NotFittedError before fit and
  /// InvalidArgument on an empty list. Deterministic for a given thread count.
  /// `progress` as for fit: texts counted, then (rows projected, texts) every 1024 rows.
  Matrix transform(const std::vector<std::string>& texts, const ProgressFn& progress = {}) const;
  Matrix fit_transform(const std::vector<std::string>& texts, const ProgressFn& progress = {}) {
    return fit(texts, progress).transform(texts, progress);
  }

  bool fitted() const noexcept { return vectorizer_.fitted(); }
  const LiteTextEncoderParams& params() const noexcept { return params_; }
  /// Output width (params().dim).
  std::size_t dim() const noexcept { return static_cast<std::size_t>(params_.dim); }
  const TfidfVectorizer& vectorizer() const;
  /// SVD components, dim × vocabulary size.
  const Matrix& components() const;

  /// One safetensors file: tensors "idf" [V] and "components" [dim, V]; the
  /// vocabulary (a JSON list) and the parameters in the metadata. Atomic write.
  void save(const std::filesystem::path& path) const;
  /// Throws ModelLoadError naming the file when it is not a LiteTextEncoder file
  /// or its parts disagree.
  static LiteTextEncoder load(const std::filesystem::path& path);
  /// The bytes save() writes (for pickling) and back.
  std::string to_bytes() const;
  static LiteTextEncoder from_bytes(std::string bytes);

 private:
  static LiteTextEncoder restore(const io::SafetensorsFile& file);
  void set_components(Matrix components);

  LiteTextEncoderParams params_;
  TfidfVectorizer vectorizer_;
  Matrix components_;    // dim × V, as saved
  Matrix components_t_;  // V × dim: the layout transform() reads
};

}  // namespace emb
