#include "embetter/pca.h"

#include <algorithm>
#include <cmath>

#include "core/eigen.h"
#include "embetter/error.h"
#include "linalg/dense_decompositions.h"
#include "linalg/svd_flip.h"

namespace emb {
namespace {
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Decomposition {
  RowMatrixXd vt;                // all right singular vectors found, by decreasing value
  Eigen::VectorXd variance;      // matching squared singular values / (n − 1)
};

// Tall data (n ≥ d): the eigendecomposition of the d × d covariance, which is
// what sklearn's 'covariance_eigh' solver does; accurate in double and far
// cheaper than an SVD of the n × d data.
Decomposition covariance_eigh(const RowMatrixXd& centred, double dof) {
  Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(centred.cols(), centred.cols());
  cov.selfadjointView<Eigen::Lower>().rankUpdate(centred.transpose(), 1.0 / dof);
  Eigen::VectorXd values;
  Eigen::MatrixXd vectors;
  linalg::symmetric_eigen(cov, values, vectors, "Pca.fit");
  // LAPACK sorts eigenvalues ascending; PCA wants them descending. Rounding can
  // leave tiny negative values on a semi-definite matrix: clip them, as sklearn.
  Decomposition out{vectors.rowwise().reverse().transpose(), values.reverse().cwiseMax(0.0)};
  return out;
}

// Wide data (n < d): a thin SVD of the centred data itself.
Decomposition wide_svd(const RowMatrixXd& centred, double dof) {
  const linalg::ThinSvd svd = linalg::thin_svd(centred, "Pca.fit");
  return {svd.vt, svd.singular_values.array().square() / dof};
}
}  // namespace

Pca::Pca(int n_components) : n_components_(n_components) {
  EMB_CHECK(n_components >= 1, "Pca: n_components must be at least 1, got ", n_components);
}

Pca& Pca::fit(const Matrix& X) {
  check_finite_nonempty(X, "Pca.fit: X");
  const std::size_t n = X.rows(), d = X.cols();
  EMB_CHECK(static_cast<std::size_t>(n_components_) <= std::min(n, d), "Pca.fit: n_components=", n_components_,
            " must be between 1 and min(n_samples, n_features)=", std::min(n, d), " for X of shape (", n, ", ", d,
            ")");
  RowMatrixXd centred = as_eigen(X).cast<double>();
  const Eigen::RowVectorXd mean = centred.colwise().mean();
  centred.rowwise() -= mean;
  // sklearn divides by n − 1; with a single sample every variance is 0.
  const double dof = n > 1 ? static_cast<double>(n - 1) : 1.0;
  Decomposition dec = n >= d ? covariance_eigh(centred, dof) : wide_svd(centred, dof);

  const Eigen::Index k = n_components_;
  RowMatrixXd vt = dec.vt.topRows(k);
  linalg::flip_rows_by_largest(vt);

  n_samples_ = n;
  components64_.assign(vt.data(), vt.data() + vt.size());
  components_ = to_matrix(vt.cast<float>());
  mean64_.assign(mean.data(), mean.data() + mean.size());
  mean_.assign(mean64_.begin(), mean64_.end());
  explained_variance_.assign(dec.variance.data(), dec.variance.data() + k);
  total_variance_ = centred.squaredNorm() / dof;
  return *this;
}

Matrix Pca::transform(const Matrix& X) const {
  check_fitted("transform");
  check_finite_nonempty(X, "Pca.transform: X");
  EMB_CHECK(X.cols() == n_features(), "Pca.transform: X has ", X.cols(), " features, but Pca was fitted with ",
            n_features(), " features");
  const Eigen::Map<const RowMatrixXd> components(components64_.data(), n_components_,
                                                  static_cast<Eigen::Index>(n_features()));
  const Eigen::Map<const Eigen::RowVectorXd> mean(mean64_.data(), static_cast<Eigen::Index>(n_features()));
  RowMatrixXd centred = as_eigen(X).cast<double>();
  centred.rowwise() -= mean;
  return to_matrix((centred * components.transpose()).cast<float>());
}

Matrix Pca::fit_transform(const Matrix& X) { return fit(X).transform(X); }

void Pca::check_fitted(const char* method) const {
  EMB_CHECK_AS(NotFittedError, fitted(), "Pca.", method, ": this Pca is not fitted yet; call fit(X) first");
}

const Matrix& Pca::components() const {
  check_fitted("components");
  return components_;
}

const std::vector<float>& Pca::mean() const {
  check_fitted("mean");
  return mean_;
}

std::vector<float> Pca::explained_variance() const {
  check_fitted("explained_variance");
  return {explained_variance_.begin(), explained_variance_.end()};
}

std::vector<float> Pca::explained_variance_ratio() const {
  check_fitted("explained_variance_ratio");
  std::vector<float> out(explained_variance_.size(), 0.0f);
  if (total_variance_ > 0)
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(explained_variance_[i] / total_variance_);
  return out;
}

std::vector<float> Pca::singular_values() const {
  check_fitted("singular_values");
  const double dof = n_samples_ > 1 ? static_cast<double>(n_samples_ - 1) : 1.0;
  std::vector<float> out;
  for (double v : explained_variance_) out.push_back(static_cast<float>(std::sqrt(v * dof)));
  return out;
}

}  // namespace emb
