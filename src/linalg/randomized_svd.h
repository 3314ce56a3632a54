#pragma once
// scikit-learn's randomized SVD (sklearn.utils.extmath._randomized_svd) for a
// CSR matrix, internal to the library.
#include <Eigen/Dense>
#include <Eigen/SparseCore>

#include "embetter/progress.h"
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
  /// Told (iterations done, n_iter) after each power iteration; false stops with Interrupted.
  ProgressFn progress = {};
};

/// Top singular triplets of X (n × d), as sklearn's randomized_svd computes
/// them: the problem is transposed when n < d (M = Xᵀ), the range finder draws
/// a Gaussian test matrix with min(n_components + n_oversamples, n, d)
/// columns and runs n_iter power iterations normalised by LU (none when
/// n_iter ≤ 2), and the projected matrix is decomposed exactly in double. The
/// iterations run in the smaller of M's two spaces (see randomized_svd.cc);
/// the spans are sklearn's, the arithmetic is not step for step.
TruncatedSvdResult randomized_svd(const Eigen::Map<const SparseRowMatrixXf>& X, const RandomizedSvdOptions& opts,
                                  Rng& rng);

}  // namespace emb::linalg
