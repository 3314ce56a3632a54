#pragma once
/// @file truncated_svd.h
/// Truncated SVD of a sparse matrix as scikit-learn's TruncatedSVD
/// (algorithm='randomized'): Halko et al.'s randomized range finder with
/// n_iter power iterations normalised by LU factorisation (sklearn's 'auto'
/// for n_iter > 2), an orthonormal basis of the range, and an exact
/// decomposition of the small projected matrix, in double. The iterations run
/// in the smaller of the matrix's two dimensions (same spans, not the same
/// steps as sklearn). Components carry sklearn's sign convention (the
/// largest-magnitude entry of each component is positive). No centring, so
/// sparse stays sparse. The Gaussian test matrix comes from emb::Rng, so
/// results equal sklearn's only up to the randomized method's accuracy, not
/// bitwise. With a seed and a fixed thread count the result is bitwise
/// reproducible.
#include <cstddef>
#include <vector>

#include "embetter/matrix.h"
#include "embetter/random.h"
#include "embetter/sparse.h"

namespace emb {

struct TruncatedSvdParams {
  int n_components = 300;
  int n_iter = 5;          ///< power iterations (sklearn's TruncatedSVD default)
  int n_oversamples = 10;  ///< extra random vectors beyond n_components
  RandomState random_state{};
};

class TruncatedSvd {
 public:
  explicit TruncatedSvd(TruncatedSvdParams p = {});

  /// X: n_samples × n_features CSR, non-empty and finite;
  /// n_components ≤ min(n_samples, n_features).
  TruncatedSvd& fit(const SparseMatrix& X);
  /// X · componentsᵀ: n × n_components. X must have n_features columns.
  Matrix transform(const SparseMatrix& X) const;
  Matrix fit_transform(const SparseMatrix& X);

  /// n_components × n_features, rows orthonormal, by decreasing singular value.
  const Matrix& components() const;
  /// The top singular values of the training matrix (empty after from_components).
  const std::vector<float>& singular_values() const;
  /// Variance of each transformed column over the variance of the training
  /// data (both with divisor n), as sklearn's explained_variance_ratio_
  /// (empty after from_components).
  const std::vector<float>& explained_variance_ratio() const;

  /// A fitted model from saved components (e.g. when loading a LiteTextEncoder).
  static TruncatedSvd from_components(Matrix components);

  const TruncatedSvdParams& params() const noexcept { return params_; }
  bool fitted() const noexcept { return !components_.empty(); }
  std::size_t n_features() const noexcept { return components_.cols(); }

 private:
  void check_fitted(const char* method) const;
  void set_components(Matrix components);

  TruncatedSvdParams params_;
  Matrix components_;
  std::vector<float> singular_values_;
  std::vector<float> explained_variance_ratio_;
};

}  // namespace emb
