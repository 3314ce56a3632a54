#include "linalg/randomized_svd.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "embetter/error.h"
#include "embetter/threads.h"
#include "linalg/dense_decompositions.h"
#include "linalg/lapack.h"
#include "linalg/sparse_dense.h"
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

CsrRef csr_ref(const SparseRowMatrixXf& a) {
  return {static_cast<std::size_t>(a.rows()), static_cast<std::size_t>(a.cols()), a.outerIndexPtr(),
          a.innerIndexPtr(), a.valuePtr()};
}
CsrRef csr_ref(const Eigen::Map<const SparseRowMatrixXf>& a) {
  return {static_cast<std::size_t>(a.rows()), static_cast<std::size_t>(a.cols()), a.outerIndexPtr(),
          a.innerIndexPtr(), a.valuePtr()};
}

template <class Scalar>
Strided<const Scalar> strided(const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>& m) {
  return {m.data(), static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols()), 1,
          static_cast<std::size_t>(m.rows())};
}
template <class Scalar>
Strided<Scalar> strided(Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>& m) {
  return {m.data(), static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols()), 1,
          static_cast<std::size_t>(m.rows())};
}

/// Gaussian test matrix, n × size, filled row by row like numpy's C-order draw.
Eigen::MatrixXf gaussian(Eigen::Index n, Eigen::Index size, Rng& rng) {
  Eigen::MatrixXf q(n, size);
  for (Eigen::Index r = 0; r < n; ++r)
    for (Eigen::Index c = 0; c < size; ++c) q(r, c) = static_cast<float>(rng.normal());
  return q;
}

// sklearn's steps one for one: the range basis is formed explicitly in M's
// column space (LU after every product, QR of the m × size basis). Used when
// the range is numerically rank-deficient, where the Gram route below cannot
// tell directions apart.
TruncatedSvdResult explicit_randomized_svd(const Eigen::Map<const SparseRowMatrixXf>& X,
                                           const RandomizedSvdOptions& opts, Rng& rng) {
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
  Eigen::MatrixXf q = gaussian(n, size, rng);

  const bool normalise = opts.n_iter > 2;   // sklearn's power_iteration_normalizer='auto'
  for (int it = 0; it < opts.n_iter; ++it) {
    Eigen::MatrixXf y = times_m(q);
    if (normalise) lu_normalise(y);
    q = times_mt(y);
    if (normalise) lu_normalise(q);
    report_progress(opts.progress, static_cast<std::size_t>(it + 1), static_cast<std::size_t>(opts.n_iter),
                    "TruncatedSVD");
  }
  Eigen::MatrixXf basis = times_m(q);   // m × size
  qr_orthonormalise(basis);

  // B = basisᵀ M (size × n), decomposed exactly in double.
  const Eigen::MatrixXd b = times_mt(basis).transpose().cast<double>();
  const int k = opts.n_components;
  TruncatedSvdResult out;
  const ThinSvd svd = thin_svd(b, "TruncatedSvd");
  out.singular_values = svd.singular_values.head(k);
  if (transpose)
    out.components = (basis * svd.u.leftCols(k).cast<float>()).transpose();
  else
    out.components = svd.vt.topRows(k).cast<float>();
  flip_rows_by_largest(out.components);
  return out;
}

}  // namespace

// The same subspace iteration as sklearn, in exact arithmetic, without ever
// forming an m × size matrix (m = 39,365 terms for 5,000 reviews, where the LU
// and QR steps of explicit_randomized_svd cost 35 GFLOP):
//  - every range vector is M·q for some q in the small space (n = min(rows,
//    cols)), so the iteration runs on q ← LU(MᵀM·q); MᵀM·q comes from one
//    gather-scatter pass over M's rows (gram_times_dense). Normalising once
//    per MᵀM instead of after M and after Mᵀ leaves the span unchanged; the
//    columns' scales spread by σ₁²/σ_size² between two LUs instead of
//    σ₁/σ_size (a few hundred for tf-idf), far within float.
//  - the basis of Y = M·q is orthonormalised through Y's Gram matrix
//    C = qᵀMᵀM·q = Vy Λ Vyᵀ (Y = Qf·Λ^½·Vyᵀ with Qf orthonormal), with MᵀM·q
//    summed in double after q itself is orthonormalised: C's condition number
//    is then that of Y squared, (σ₁/σ_size)², which double resolves easily.
//  - B = Qfᵀ M = Λ^-½ Vyᵀ (MᵀM·q)ᵀ, and B·Bᵀ gives its left singular vectors
//    and singular values (an eigenproblem of size × size, in double).
// A numerically rank-deficient Y (rank < size) goes to explicit_randomized_svd.
TruncatedSvdResult randomized_svd(const Eigen::Map<const SparseRowMatrixXf>& X, const RandomizedSvdOptions& opts,
                                  Rng& rng) {
  const Eigen::Index n_samples = X.rows(), n_features = X.cols();
  const bool transpose = n_samples < n_features;   // sklearn works on M = Xᵀ when X is wide
  const Eigen::Index m = transpose ? n_features : n_samples, n = transpose ? n_samples : n_features;
  const Rng rng_at_start = rng;
  // M as a CSR matrix: the kernels walk its rows.
  SparseRowMatrixXf xt;
  if (transpose) xt = X.transpose();
  const CsrRef a = transpose ? csr_ref(xt) : csr_ref(X);
  const int threads = num_threads();

  const Eigen::Index size = std::min<Eigen::Index>(opts.n_components + opts.n_oversamples, std::min(m, n));
  Eigen::MatrixXf q = gaussian(n, size, rng);
  const bool normalise = opts.n_iter > 2;   // sklearn's power_iteration_normalizer='auto'
  Eigen::MatrixXf w(n, size);
  for (int it = 0; it < opts.n_iter; ++it) {
    gram_times_dense(a, strided(std::as_const(q)), strided(w), threads);
    if (normalise) lu_normalise(w);
    q.swap(w);
    report_progress(opts.progress, static_cast<std::size_t>(it + 1), static_cast<std::size_t>(opts.n_iter),
                    "TruncatedSVD");
  }

  // Orthonormal to float precision is plenty: qd only needs to be well
  // conditioned, the basis of M·qd is made exactly orthonormal below.
  qr_orthonormalise(q);
  const Eigen::MatrixXd qd = q.cast<double>();
  Eigen::MatrixXd wd(n, size);   // MᵀM·qd, summed in double
  gram_times_dense(a, strided(std::as_const(q)), strided(wd), threads);
  const Eigen::MatrixXd gram = qd.transpose() * wd;   // C = YᵀY
  Eigen::VectorXd lambda;   // ascending
  Eigen::MatrixXd vy;
  symmetric_eigen(gram, lambda, vy, "TruncatedSvd");
  if (!(lambda(0) > 1e-10 * lambda(size - 1))) {
    rng = rng_at_start;
    return explicit_randomized_svd(X, opts, rng);
  }
  // T = Vy Λ^-½ maps q-coordinates to the orthonormal basis Qf = Y·T.
  const Eigen::MatrixXd t = vy * lambda.cwiseSqrt().cwiseInverse().asDiagonal();
  // B·Bᵀ = Tᵀ (MᵀM·qd)ᵀ(MᵀM·qd) T.
  Eigen::MatrixXd wtw = Eigen::MatrixXd::Zero(size, size);
  wtw.selfadjointView<Eigen::Lower>().rankUpdate(wd.transpose());
  const Eigen::MatrixXd bbt = t.transpose() * wtw.selfadjointView<Eigen::Lower>() * t;
  Eigen::VectorXd mu;   // ascending
  Eigen::MatrixXd e;
  symmetric_eigen(bbt, mu, e, "TruncatedSvd");

  const int k = opts.n_components;
  // Largest first: the last k eigenpairs, reversed.
  const Eigen::MatrixXd u_hat = e.rightCols(k).rowwise().reverse();
  const Eigen::VectorXd sigma = mu.tail(k).reverse().cwiseMax(0.0).cwiseSqrt();
  TruncatedSvdResult out;
  out.singular_values = sigma;
  out.components.resize(k, transpose ? m : n);
  if (transpose) {
    // U = Qf·Û = M·(qd T Û): one more sparse product, straight into the rows of the components.
    const Eigen::MatrixXf v = (qd * (t * u_hat)).cast<float>();
    const Strided<float> components_t{out.components.data(), static_cast<std::size_t>(m), static_cast<std::size_t>(k),
                                      1, static_cast<std::size_t>(m)};
    csr_times_dense(a, strided(v), components_t, threads);
  } else {
    // Vᵀ = Σ⁻¹ Ûᵀ B = Σ⁻¹ Ûᵀ Tᵀ (MᵀM·qd)ᵀ.
    out.components = ((wd * (t * u_hat)) * sigma.cwiseInverse().asDiagonal()).transpose().cast<float>();
  }
  flip_rows_by_largest(out.components);
  return out;
}

}  // namespace emb::linalg
