#include "embetter/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/eigen.h"
#include "embetter/error.h"
#include "embetter/labels.h"

namespace emb {
namespace {
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
constexpr Eigen::Index kBlockRows = 256;   // bounds the distance block at 256 × n doubles
}  // namespace

double silhouette_score(const Matrix& X, const std::vector<std::string>& labels) {
  check_finite_nonempty(X, "silhouette_score: X");
  const auto n = static_cast<Eigen::Index>(X.rows());
  EMB_CHECK(labels.size() == X.rows(), "silhouette_score: X has ", X.rows(), " rows but labels has ",
            labels.size(), " entries");
  LabelEncoder encoder;
  const std::vector<std::int32_t> cluster = encoder.fit_transform(labels);
  const auto k = static_cast<Eigen::Index>(encoder.num_classes());
  EMB_CHECK(k >= 2 && k <= n - 1, "silhouette_score: the number of distinct labels is ", k,
            "; valid values are 2 to n_samples - 1 = ", n - 1);

  Eigen::MatrixXd one_hot = Eigen::MatrixXd::Zero(n, k);
  Eigen::VectorXd cluster_size = Eigen::VectorXd::Zero(k);
  for (Eigen::Index i = 0; i < n; ++i) {
    one_hot(i, cluster[i]) = 1.0;
    cluster_size(cluster[i]) += 1.0;
  }
  // Distances in double through the Gram matrix, as sklearn does for float32
  // input (it upcasts chunk by chunk); the diagonal is exactly 0.
  const RowMatrixXd x = as_eigen(X).cast<double>();
  const Eigen::VectorXd sq_norm = x.rowwise().squaredNorm();
  double total = 0.0;
  for (Eigen::Index start = 0; start < n; start += kBlockRows) {
    const Eigen::Index rows = std::min(kBlockRows, n - start);
    Eigen::MatrixXd dist = -2.0 * (x.middleRows(start, rows) * x.transpose());
    dist.colwise() += sq_norm.segment(start, rows);
    dist.rowwise() += sq_norm.transpose();
    dist = dist.cwiseMax(0.0).cwiseSqrt();
    for (Eigen::Index r = 0; r < rows; ++r) dist(r, start + r) = 0.0;
    const Eigen::MatrixXd cluster_sum = dist * one_hot;   // rows × k
    for (Eigen::Index r = 0; r < rows; ++r) {
      const std::int32_t own = cluster[start + r];
      if (cluster_size(own) <= 1) continue;   // a singleton scores 0
      const double a = cluster_sum(r, own) / (cluster_size(own) - 1);
      double b = std::numeric_limits<double>::infinity();
      for (Eigen::Index c = 0; c < k; ++c)
        if (c != own) b = std::min(b, cluster_sum(r, c) / cluster_size(c));
      const double denom = std::max(a, b);
      if (denom > 0) total += (b - a) / denom;   // sklearn maps 0/0 (duplicates) to 0
    }
  }
  return total / static_cast<double>(n);
}

double accuracy_score(const std::vector<std::string>& y_true, const std::vector<std::string>& y_pred) {
  EMB_CHECK(!y_true.empty(), "accuracy_score: y_true is empty; expected at least one label");
  EMB_CHECK(y_true.size() == y_pred.size(), "accuracy_score: y_true has ", y_true.size(), " labels but y_pred has ",
            y_pred.size());
  std::size_t same = 0;
  for (std::size_t i = 0; i < y_true.size(); ++i) same += y_true[i] == y_pred[i];
  return static_cast<double>(same) / static_cast<double>(y_true.size());
}

}  // namespace emb
