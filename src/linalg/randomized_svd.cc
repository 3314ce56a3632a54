#include "linalg/randomized_svd.h"

#include <Eigen/SVD>
#include <algorithm>
#include <vector>

#include "embetter/error.h"
#include "linalg/lapack.h"
#include "linalg/svd_flip.h"

namespace emb::linalg {
namespace {

// scipy.linalg.lu(A, permute_l=True)[0] for a tall A (m ≥ n): the permuted
// unit lower-trapezoidal factor P·L. It spans the same space as A but stays
// well scaled, which is all a power iteration needs, at half the cost of QR.
void lu_normalise(Eigen::MatrixXf& a) {
  const int m = static_cast<int>(a.rows()), n = static_cast<int>(a.cols()), lda = std::max(1, m);
  std::vector<int> pivots(static_cast<std::size_t>(std::min(m, n)));
  int info = 0;
  sgetrf_(&m, &n, a.data(), &lda, pivots.data(), &info);
  // info > 0 flags an exactly zero pivot (rank-deficient input): L is still valid.
  EMB_CHECK_AS(Error, info >= 0, "TruncatedSvd: LAPACK sgetrf rejected argument ", -info);
  a.triangularView<Eigen::StrictlyUpper>().setZero();
  a.diagonal().setOnes();
  // sgetrf swapped rows i and pivots[i] - 1 in order; undo them backwards.
  for (int i = static_cast<int>(pivots.size()) - 1; i >= 0; --i)
    if (pivots[i] - 1 != i) a.row(i).swap(a.row(pivots[i] - 1));
}

// The thin Q of A's QR decomposition (scipy.linalg.qr(mode='economic')[0]).
void qr_orthonormalise(Eigen::MatrixXf& a) {
  const int m = static_cast<int>(a.rows()), n = static_cast<int>(a.cols()), lda = std::max(1, m);
  std::vector<float> tau(static_cast<std::size_t>(std::min(m, n)));
  int info = 0;
  const int query = -1;   // LAPACK's workspace-size query
  float geqrf_size = 0, orgqr_size = 0;
  sgeqrf_(&m, &n, a.data(), &lda, tau.data(), &geqrf_size, &query, &info);
  sorgqr_(&m, &n, &n, a.data(), &lda, tau.data(), &orgqr_size, &query, &info);
  std::vector<float> work(static_cast<std::size_t>(std::max({1.0f, geqrf_size, orgqr_size})));
  const int lwork = static_cast<int>(work.size());
  sgeqrf_(&m, &n, a.data(), &lda, tau.data(), work.data(), &lwork, &info);
  EMB_CHECK_AS(Error, info == 0, "TruncatedSvd: LAPACK sgeqrf failed (info ", info, ")");
  sorgqr_(&m, &n, &n, a.data(), &lda, tau.data(), work.data(), &lwork, &info);
  EMB_CHECK_AS(Error, info == 0, "TruncatedSvd: LAPACK sorgqr failed (info ", info, ")");
}

}  // namespace

TruncatedSvdResult randomized_svd(const Eigen::Map<const SparseRowMatrixXf>& X, const RandomizedSvdOptions& opts,
                                  Rng& rng) {
  const Eigen::Index n_samples = X.rows(), n_features = X.cols();
  // sklearn works on M = Xᵀ when X is wide; then U and V swap roles below.
  const bool transpose = n_samples < n_features;
  const Eigen::Index m = transpose ? n_features : n_samples, n = transpose ? n_samples : n_features;
  // Eigen's sparse × dense product vectorises over whole rows only when the
  // dense operands are row-major; LAPACK wants column-major, hence the copies
  // (cheap next to the products). Products with Xᵀ go through a CSR copy of
  // Xᵀ, so that every product gathers rows instead of scattering into them.
  const SparseRowMatrixXf xt = X.transpose();
  auto product = [](const auto& a, const Eigen::MatrixXf& q) -> Eigen::MatrixXf {
    const RowMatrixXf rows = q;
    return RowMatrixXf(a * rows);
  };
  auto times_m = [&](const Eigen::MatrixXf& q) { return transpose ? product(xt, q) : product(X, q); };
  auto times_mt = [&](const Eigen::MatrixXf& q) { return transpose ? product(X, q) : product(xt, q); };

  // Beyond min(m, n) columns the LU steps would shrink Q anyway (as they do in sklearn).
  const Eigen::Index size = std::min<Eigen::Index>(opts.n_components + opts.n_oversamples, std::min(m, n));
  Eigen::MatrixXf q(n, size);
  for (Eigen::Index r = 0; r < n; ++r)   // filled row by row, like numpy's C-order draw
    for (Eigen::Index c = 0; c < size; ++c) q(r, c) = static_cast<float>(rng.normal());

  const bool normalise = opts.n_iter > 2;   // sklearn's power_iteration_normalizer='auto'
  for (int it = 0; it < opts.n_iter; ++it) {
    Eigen::MatrixXf y = times_m(q);
    if (normalise) lu_normalise(y);
    q = times_mt(y);
    if (normalise) lu_normalise(q);
  }
  Eigen::MatrixXf basis = times_m(q);   // m × size
  qr_orthonormalise(basis);

  // B = basisᵀ M (size × n), decomposed exactly in double.
  const Eigen::MatrixXd b = times_mt(basis).transpose().cast<double>();
  const int k = opts.n_components;
  TruncatedSvdResult out;
  if (transpose) {
    Eigen::BDCSVD<Eigen::MatrixXd> svd(b, Eigen::ComputeThinU);
    EMB_CHECK_AS(Error, svd.info() == Eigen::Success, "TruncatedSvd: the SVD did not converge");
    out.singular_values = svd.singularValues().head(k);
    out.components = (basis * svd.matrixU().leftCols(k).cast<float>()).transpose();
  } else {
    Eigen::BDCSVD<Eigen::MatrixXd> svd(b, Eigen::ComputeThinV);
    EMB_CHECK_AS(Error, svd.info() == Eigen::Success, "TruncatedSvd: the SVD did not converge");
    out.singular_values = svd.singularValues().head(k);
    out.components = svd.matrixV().leftCols(k).transpose().cast<float>();
  }
  flip_rows_by_largest(out.components);
  return out;
}

}  // namespace emb::linalg
