#include "embetter/truncated_svd.h"

#include <algorithm>

#include "core/eigen.h"
#include "embetter/error.h"
#include "embetter/threads.h"
#include "linalg/csr_view.h"
#include "linalg/randomized_svd.h"
#include "linalg/sparse_dense.h"

namespace emb {
namespace {
// Sum over columns of each column's variance (divisor n), from the stored
// entries only: sklearn's mean_variance_axis(X, axis=0)[1].sum().
double total_column_variance(const SparseMatrix& X) {
  std::vector<double> sum(X.cols, 0.0), sum_sq(X.cols, 0.0);
  for (std::size_t i = 0; i < X.nnz(); ++i) {
    sum[X.indices[i]] += X.values[i];
    sum_sq[X.indices[i]] += double(X.values[i]) * X.values[i];
  }
  const double n = static_cast<double>(X.rows);
  double total = 0;
  for (std::size_t c = 0; c < X.cols; ++c) total += sum_sq[c] / n - (sum[c] / n) * (sum[c] / n);
  return total;
}

std::vector<float> column_variance(const Matrix& Z) {
  const Eigen::RowVectorXd mean = as_eigen(Z).cast<double>().colwise().mean();
  const Eigen::RowVectorXd var =
      (as_eigen(Z).cast<double>().rowwise() - mean).array().square().colwise().mean();
  return {var.data(), var.data() + var.size()};
}
}  // namespace

TruncatedSvd::TruncatedSvd(TruncatedSvdParams p) : params_(p) {
  EMB_CHECK(p.n_components >= 1, "TruncatedSvd: n_components must be at least 1, got ", p.n_components);
  EMB_CHECK(p.n_iter >= 0, "TruncatedSvd: n_iter must be non-negative, got ", p.n_iter);
  EMB_CHECK(p.n_oversamples >= 0, "TruncatedSvd: n_oversamples must be non-negative, got ", p.n_oversamples);
}

TruncatedSvd& TruncatedSvd::fit(const SparseMatrix& X) {
  fit_transform(X);
  return *this;
}

Matrix TruncatedSvd::fit_transform(const SparseMatrix& X) {
  const linalg::CsrView view(X, "TruncatedSvd.fit: X");
  const std::size_t limit = std::min(X.rows, X.cols);
  EMB_CHECK(static_cast<std::size_t>(params_.n_components) <= limit, "TruncatedSvd.fit: n_components=",
            params_.n_components, " must be between 1 and min(n_samples, n_features)=", limit, " for X of shape (",
            X.rows, ", ", X.cols, ")");
  Rng rng(params_.random_state);
  const auto svd = linalg::randomized_svd(
      view.eigen(), {params_.n_components, params_.n_oversamples, params_.n_iter}, rng);
  set_components(to_matrix(svd.components));
  singular_values_.assign(svd.singular_values.data(), svd.singular_values.data() + svd.singular_values.size());
  // Like sklearn, transform with the components rather than using U·Σ: the
  // randomized factors satisfy X ≈ UΣVᵀ only approximately.
  Matrix Z = transform(X);
  const double total = total_column_variance(X);
  explained_variance_ratio_ = column_variance(Z);
  for (float& v : explained_variance_ratio_) v = total > 0 ? static_cast<float>(v / total) : 0.0f;
  return Z;
}

Matrix TruncatedSvd::transform(const SparseMatrix& X) const {
  check_fitted("transform");
  const linalg::CsrView view(X, "TruncatedSvd.transform: X");
  EMB_CHECK(X.cols == n_features(), "TruncatedSvd.transform: X has ", X.cols,
            " features, but TruncatedSvd was fitted with ", n_features(), " features");
  const std::size_t k = components_.rows();
  Matrix Z(X.rows, k);
  const auto& x = view.eigen();
  const linalg::CsrRef a{X.rows, X.cols, x.outerIndexPtr(), x.innerIndexPtr(), x.valuePtr()};
  // Z = X·componentsᵀ: the kernel reads componentsᵀ in place through strides.
  linalg::csr_times_dense(a, {components_.data(), X.cols, k, 1, X.cols}, {Z.data(), X.rows, k, k, 1}, num_threads());
  return Z;
}

TruncatedSvd TruncatedSvd::from_components(Matrix components) {
  check_finite_nonempty(components, "TruncatedSvd.from_components: components");
  TruncatedSvd svd({.n_components = static_cast<int>(components.rows())});
  svd.set_components(std::move(components));
  return svd;
}

void TruncatedSvd::set_components(Matrix components) {
  components_ = std::move(components);
}

void TruncatedSvd::check_fitted(const char* method) const {
  EMB_CHECK_AS(NotFittedError, fitted(), "TruncatedSvd.", method,
               ": this TruncatedSvd is not fitted yet; call fit(X) first");
}

const Matrix& TruncatedSvd::components() const {
  check_fitted("components");
  return components_;
}

const std::vector<float>& TruncatedSvd::singular_values() const {
  check_fitted("singular_values");
  return singular_values_;
}

const std::vector<float>& TruncatedSvd::explained_variance_ratio() const {
  check_fitted("explained_variance_ratio");
  return explained_variance_ratio_;
}

}  // namespace emb
