#pragma once
// scikit-learn's randomized SVD (sklearn.utils.extmath._randomized_svd) for a
// CSR matrix, internal to the library.
#include <Eigen/Dense>
#include <Eigen/SparseCore>

#include "embetter/random.h"
#include "linalg/csr_view.h"

namespace emb::linalg {

using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct TruncatedSvdResult {
  RowMatrixXf components;         // n_components × n_features, sklearn's signs
  Eigen::VectorXd singular_values;
};

struct RandomizedSvdOptions {
  int n_components;
  int n_oversamples;
  int n_iter;
};

/// Top singular triplets of X (n × d). Follows sklearn: the problem is
/// transposed when n < d, the range finder draws a Gaussian test matrix with
/// min(n_components + n_oversamples, n, d) columns, runs n_iter power
/// iterations normalised by LU (none when n_iter ≤ 2), orthonormalises with
/// QR, and takes an exact SVD (double precision) of the projected matrix.
TruncatedSvdResult randomized_svd(const Eigen::Map<const SparseRowMatrixXf>& X, const RandomizedSvdOptions& opts,
                                  Rng& rng);

}  // namespace emb::linalg
