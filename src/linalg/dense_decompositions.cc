#include "linalg/dense_decompositions.h"

#include <algorithm>
#include <vector>

#include "embetter/error.h"
#include "linalg/lapack.h"

namespace emb::linalg {

void symmetric_eigen(const Eigen::MatrixXd& a, Eigen::VectorXd& values, Eigen::MatrixXd& vectors, const char* who) {
  EMB_CHECK(a.rows() == a.cols(), who, ": symmetric_eigen needs a square matrix, got ", a.rows(), " × ", a.cols());
  vectors = a;
  const int n = static_cast<int>(a.rows()), lda = std::max(1, n);
  values.resize(n);
  if (n == 0) return;
  int info = 0, lwork = -1, liwork = -1, iwork_size = 0;
  double work_size = 0;
  dsyevd_("V", "L", &n, vectors.data(), &lda, values.data(), &work_size, &lwork, &iwork_size, &liwork, &info);
  std::vector<double> work(static_cast<std::size_t>(std::max(1.0, work_size)));
  std::vector<int> iwork(static_cast<std::size_t>(std::max(1, iwork_size)));
  lwork = static_cast<int>(work.size());
  liwork = static_cast<int>(iwork.size());
  dsyevd_("V", "L", &n, vectors.data(), &lda, values.data(), work.data(), &lwork, iwork.data(), &liwork, &info);
  EMB_CHECK_AS(Error, info == 0, who, ": LAPACK dsyevd failed (info ", info, ")");
}

ThinSvd thin_svd(Eigen::MatrixXd a, const char* who) {
  const int m = static_cast<int>(a.rows()), n = static_cast<int>(a.cols()), k = std::min(m, n);
  ThinSvd out;
  out.singular_values.resize(k);
  out.u.resize(m, k);
  out.vt.resize(k, n);
  if (k == 0) return out;
  const int lda = std::max(1, m), ldu = std::max(1, m), ldvt = std::max(1, k);
  std::vector<int> iwork(static_cast<std::size_t>(8 * k));
  int info = 0, lwork = -1;
  double work_size = 0;
  dgesdd_("S", &m, &n, a.data(), &lda, out.singular_values.data(), out.u.data(), &ldu, out.vt.data(), &ldvt,
          &work_size, &lwork, iwork.data(), &info);
  std::vector<double> work(static_cast<std::size_t>(std::max(1.0, work_size)));
  lwork = static_cast<int>(work.size());
  dgesdd_("S", &m, &n, a.data(), &lda, out.singular_values.data(), out.u.data(), &ldu, out.vt.data(), &ldvt,
          work.data(), &lwork, iwork.data(), &info);
  EMB_CHECK_AS(Error, info >= 0, who, ": LAPACK dgesdd rejected argument ", -info);
  EMB_CHECK_AS(Error, info == 0, who, ": the SVD did not converge (LAPACK dgesdd, info ", info, ")");
  return out;
}

}  // namespace emb::linalg
