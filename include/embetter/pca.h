#pragma once
/// @file pca.h
/// Principal component analysis as scikit-learn's PCA: the data are centred,
/// the components are the top right singular vectors of the centred data, and
/// each component's sign makes its largest-magnitude entry positive (sklearn's
/// svd_flip with u_based_decision=False). Computed in double precision with an
/// exact decomposition, so results agree with scikit-learn's (any solver) to
/// within the float32 rounding of the inputs.
#include <cstddef>
#include <vector>

#include "embetter/matrix.h"

namespace emb {

class Pca {
 public:
  /// n_components ≥ 1; checked against min(n_samples, n_features) at fit.
  explicit Pca(int n_components = 2);

  /// Learns mean and components from X (n_samples × n_features, finite, non-empty).
  Pca& fit(const Matrix& X);
  /// (X − mean) · componentsᵀ: n × n_components. X must have n_features columns.
  Matrix transform(const Matrix& X) const;
  Matrix fit_transform(const Matrix& X);

  /// n_components × n_features, rows orthonormal, by decreasing variance.
  const Matrix& components() const;
  /// Per-feature mean of the training data (n_features values).
  const std::vector<float>& mean() const;
  /// Variance along each component (divisor n_samples − 1), as sklearn's explained_variance_.
  std::vector<float> explained_variance() const;
  /// explained_variance / total variance of the training data.
  std::vector<float> explained_variance_ratio() const;
  /// Singular values of the centred training data, as sklearn's singular_values_.
  std::vector<float> singular_values() const;

  int n_components() const noexcept { return n_components_; }
  std::size_t n_features() const noexcept { return mean_.size(); }
  bool fitted() const noexcept { return !mean_.empty(); }

 private:
  void check_fitted(const char* method) const;

  int n_components_;
  std::size_t n_samples_ = 0;
  Matrix components_;
  std::vector<float> mean_;
  std::vector<double> mean64_, components64_;   // row-major copies used by transform
  std::vector<double> explained_variance_;
  double total_variance_ = 0.0;
};

}  // namespace emb
