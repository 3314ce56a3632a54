#pragma once
// scikit-learn's sign convention for SVD factors (sklearn.utils.extmath.svd_flip
// with u_based_decision=False, which PCA and TruncatedSVD use): every row of Vt
// is flipped so that its entry of largest magnitude is positive; the matching
// column of U (when given) flips with it. Ties go to the first such entry, as
// numpy's argmax does.
#include <Eigen/Dense>

namespace emb::linalg {

template <class Vt>
void flip_rows_by_largest(Eigen::MatrixBase<Vt>& vt) {
  for (Eigen::Index r = 0; r < vt.rows(); ++r) {
    Eigen::Index at = 0;
    vt.row(r).cwiseAbs().maxCoeff(&at);   // first index of the maximum
    if (vt(r, at) < 0) vt.row(r) *= -1;
  }
}

}  // namespace emb::linalg
