#pragma once
// The dense decompositions PCA and TruncatedSVD need, in double, through
// LAPACK's divide-and-conquer routines (OpenBLAS ships LAPACK), as scipy's
// eigh and svd call them. Eigen's own solvers (SelfAdjointEigenSolver,
// BDCSVD) cost 30–34 s of g++ time, and up to 53 s of clang's under the
// sanitizers, in each file that instantiated them; the test run builds
// three of those files three times (release, ASan, TSan).
#include <Eigen/Dense>

namespace emb::linalg {

/// Eigenvalues (ascending) and eigenvectors (columns, matching) of the
/// symmetric matrix `a`, of which only the lower triangle is read (dsyevd).
/// `who` names the caller in the error raised when LAPACK fails.
void symmetric_eigen(const Eigen::MatrixXd& a, Eigen::VectorXd& values, Eigen::MatrixXd& vectors, const char* who);

/// a = u · diag(singular_values) · vt with k = min(rows, cols) singular
/// values, decreasing: u is rows × k, vt is k × cols.
struct ThinSvd {
  Eigen::VectorXd singular_values;
  Eigen::MatrixXd u;
  Eigen::MatrixXd vt;
};

/// The thin SVD of `a` (dgesdd, scipy.linalg.svd's default driver).
/// `who` names the caller in the error raised when LAPACK fails.
ThinSvd thin_svd(Eigen::MatrixXd a, const char* who);

}  // namespace emb::linalg
