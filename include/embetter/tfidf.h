#pragma once
/// @file tfidf.h
/// emb::TfidfVectorizer: scikit-learn's TfidfVectorizer with its default
/// analyzer, reproduced exactly: Python's str.lower(), the token pattern
/// `(?u)\b\w\w+\b` (maximal runs of ≥ 2 word characters, where a word character
/// is a Unicode letter or number or '_'), a vocabulary sorted by code point,
/// smoothed idf and l2-normalised rows.
///
/// Numbers: counts, document frequencies, idf and the tf-idf products are
/// computed in double; idf is kept as float32 (the stored model state) and the
/// output matrix is float32. Values agree with scikit-learn's float64 output
/// within ~1e-7.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "embetter/progress.h"
#include "embetter/sparse.h"

namespace emb {
namespace text {
class TermTable;
}

/// Options of scikit-learn's TfidfVectorizer that we support (defaults as there).
struct TfidfParams {
  bool lowercase = true;
  bool sublinear_tf = false;  ///< tf → 1 + log(tf)
  bool smooth_idf = true;     ///< idf = ln((1 + n) / (1 + df)) + 1, else ln(n / df) + 1
  bool use_idf = true;
  /// Ignore terms found in fewer documents. A value ≥ 1 is a document count
  /// (sklearn's int; the default 1 keeps every term); a value in [0, 1) is a
  /// fraction of the documents (sklearn's float).
  double min_df = 1.0;
  /// Ignore terms found in more documents. A value in [0, 1] is a fraction of
  /// the documents (sklearn's float; the default 1.0 keeps every term); an
  /// integral value > 1 is a document count (sklearn's int).
  double max_df = 1.0;
  /// Keep only this many terms, the most frequent over the corpus. Ties at the
  /// cut go to the alphabetically first terms (scikit-learn breaks them with
  /// an unstable sort, so its choice among equal counts is unspecified).
  std::optional<std::size_t> max_features;
};

class TfidfVectorizer {
 public:
  explicit TfidfVectorizer(TfidfParams params = {});

  /// Learns the vocabulary and idf. Throws InvalidArgument on an empty list,
  /// text that is not valid UTF-8 (naming its index), an empty vocabulary, or
  /// bounds that prune every term.
  TfidfVectorizer& fit(const std::vector<std::string>& texts);
  /// Rows = texts, columns = feature_names(); l2-normalised rows (an all-zero
  /// row stays zero). Throws NotFittedError before fit.
  /// `progress` is told (texts counted, texts) every 1024 texts; returning
  /// false stops with Interrupted (Ctrl-C from Python).
  SparseMatrix transform(const std::vector<std::string>& texts, const ProgressFn& progress = {}) const;
  /// fit then transform, tokenizing each text once; `progress` as for transform.
  SparseMatrix fit_transform(const std::vector<std::string>& texts, const ProgressFn& progress = {});

  bool fitted() const noexcept { return !feature_names_.empty(); }
  const TfidfParams& params() const noexcept { return params_; }
  /// The vocabulary, sorted by code point; index = column.
  const std::vector<std::string>& feature_names() const;
  /// idf per column (empty when use_idf is false).
  const std::vector<float>& idf() const;
  /// Column of `term`, or nullopt when it is not in the vocabulary.
  std::optional<std::size_t> index_of(std::string_view term) const;

  /// The tokens the analyzer extracts from `text` (sklearn's build_analyzer()(text)).
  static std::vector<std::string> analyze(std::string_view text, bool lowercase = true);

  /// Rebuilds a fitted vectorizer from its state (for loading models): the
  /// vocabulary must be sorted and unique, `idf` one value per term (or empty
  /// with use_idf false). Throws InvalidArgument otherwise.
  static TfidfVectorizer from_state(TfidfParams params, std::vector<std::string> feature_names,
                                    std::vector<float> idf);

 private:
  void build_index();

  TfidfParams params_;
  std::vector<std::string> feature_names_;
  std::shared_ptr<const text::TermTable> index_;  // term → column; immutable once fitted
  std::vector<float> idf_;
};

}  // namespace emb
