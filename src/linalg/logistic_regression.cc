#include "embetter/logistic_regression.h"

#include <cmath>

#include "core/eigen.h"
#include "embetter/error.h"
#include "embetter/labels.h"
#include "embetter/metrics.h"
#include "linalg/lbfgs.h"

namespace emb {
namespace {
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using WeightsMap = Eigen::Map<const RowMatrixXd>;   // rows × (d + 1): [W | b]

// sklearn's objective divided by n (its LinearModelLoss form, whose gradient
// tolerance `tol` refers to): mean loss + ‖W‖² / (2·C·n).
class Objective {
 public:
  Objective(const RowMatrixXd& x, const std::vector<std::int32_t>& y, Eigen::Index rows, double C)
      : x_(x), y_(y), rows_(rows), l2_(1.0 / (C * static_cast<double>(x.rows()))) {}

  double operator()(const Eigen::VectorXd& w, Eigen::VectorXd& grad) const {
    const Eigen::Index n = x_.rows(), d = x_.cols();
    const WeightsMap weights(w.data(), rows_, d + 1);
    Eigen::MatrixXd z = x_ * weights.leftCols(d).transpose();   // n × rows
    z.rowwise() += weights.col(d).transpose();
    double loss = 0;
    if (rows_ == 1) {   // two classes: logistic loss, y ∈ {0, 1}
      for (Eigen::Index i = 0; i < n; ++i) {
        const double s = z(i, 0), target = y_[i];
        loss += std::max(s, 0.0) + std::log1p(std::exp(-std::fabs(s))) - target * s;
        z(i, 0) = 1.0 / (1.0 + std::exp(-s)) - target;   // residual
      }
    } else {   // multinomial: log-sum-exp minus the true class's score
      for (Eigen::Index i = 0; i < n; ++i) {
        const double top = z.row(i).maxCoeff();
        z.row(i).array() = (z.row(i).array() - top).exp();
        const double total = z.row(i).sum();
        loss += std::log(total) + top - (std::log(z(i, y_[i])) + top);
        z.row(i) /= total;
        z(i, y_[i]) -= 1.0;   // residual: probabilities − one-hot
      }
    }
    Eigen::Map<RowMatrixXd> g(grad.data(), rows_, d + 1);
    g.leftCols(d).noalias() = z.transpose() * x_;
    g.col(d) = z.colwise().sum().transpose();
    g /= static_cast<double>(n);
    g.leftCols(d) += l2_ * weights.leftCols(d);
    return loss / static_cast<double>(n) + 0.5 * l2_ * weights.leftCols(d).squaredNorm();
  }

 private:
  const RowMatrixXd& x_;
  const std::vector<std::int32_t>& y_;
  Eigen::Index rows_;
  double l2_;
};
// X·Wᵀ + b: n × rows, in double.
Eigen::MatrixXd scores(const std::vector<double>& weights_data, const Matrix& coef, const Matrix& X,
                       const char* method) {
  check_finite_nonempty(X, (std::string("LogisticRegression.") + method + ": X").c_str());
  const auto d = static_cast<Eigen::Index>(coef.cols());
  EMB_CHECK(X.cols() == coef.cols(), "LogisticRegression.", method, ": X has ", X.cols(),
            " features, but LogisticRegression was fitted with ", d, " features");
  const WeightsMap weights(weights_data.data(), static_cast<Eigen::Index>(coef.rows()), d + 1);
  Eigen::MatrixXd z = as_eigen(X).cast<double>() * weights.leftCols(d).transpose();
  z.rowwise() += weights.col(d).transpose();
  return z;
}
}  // namespace

LogisticRegression::LogisticRegression(LogisticRegressionParams p) : params_(p) {
  EMB_CHECK(p.C > 0 && std::isfinite(p.C), "LogisticRegression: C must be a positive number, got ", p.C);
  EMB_CHECK(p.max_iter >= 1, "LogisticRegression: max_iter must be at least 1, got ", p.max_iter);
  EMB_CHECK(p.tol > 0, "LogisticRegression: tol must be positive, got ", p.tol);
}

LogisticRegression& LogisticRegression::fit(const Matrix& X, const std::vector<std::string>& y) {
  check_finite_nonempty(X, "LogisticRegression.fit: X");
  EMB_CHECK(y.size() == X.rows(), "LogisticRegression.fit: X has ", X.rows(), " rows but y has ", y.size(),
            " labels");
  LabelEncoder encoder;
  const std::vector<std::int32_t> codes = encoder.fit_transform(y);
  EMB_CHECK(encoder.num_classes() >= 2, "LogisticRegression.fit: y has a single class ('", encoder.classes()[0],
            "'); expected at least 2 classes");
  const auto d = static_cast<Eigen::Index>(X.cols());
  const Eigen::Index rows = encoder.num_classes() == 2 ? 1 : static_cast<Eigen::Index>(encoder.num_classes());
  const RowMatrixXd x = as_eigen(X).cast<double>();
  const Objective objective(x, codes, rows, params_.C);

  Eigen::VectorXd w = Eigen::VectorXd::Zero(rows * (d + 1));
  const auto result = linalg::minimize_lbfgs(
      [&](const Eigen::VectorXd& at, Eigen::VectorXd& grad) { return objective(at, grad); }, w,
      {.max_iter = params_.max_iter, .gtol = params_.tol});

  classes_ = encoder.classes();
  weights_.assign(w.data(), w.data() + w.size());
  const WeightsMap weights(weights_.data(), rows, d + 1);
  coef_ = to_matrix(weights.leftCols(d).cast<float>());
  intercept_.assign(rows, 0.0f);
  for (Eigen::Index r = 0; r < rows; ++r) intercept_[r] = static_cast<float>(weights(r, d));
  n_iter_ = result.iterations;
  converged_ = result.converged;
  return *this;
}

Matrix LogisticRegression::predict_proba(const Matrix& X) const {
  check_fitted("predict_proba");
  const Eigen::MatrixXd z = scores(weights_, coef_, X, "predict_proba");
  Matrix proba(X.rows(), classes_.size());
  for (Eigen::Index i = 0; i < z.rows(); ++i) {
    if (z.cols() == 1) {
      const double p = 1.0 / (1.0 + std::exp(-z(i, 0)));
      proba(i, 0) = static_cast<float>(1.0 - p);
      proba(i, 1) = static_cast<float>(p);
    } else {
      const Eigen::RowVectorXd e = (z.row(i).array() - z.row(i).maxCoeff()).exp();
      const double total = e.sum();
      for (Eigen::Index c = 0; c < z.cols(); ++c) proba(i, c) = static_cast<float>(e(c) / total);
    }
  }
  return proba;
}

std::vector<std::string> LogisticRegression::predict(const Matrix& X) const {
  check_fitted("predict");
  const Eigen::MatrixXd z = scores(weights_, coef_, X, "predict");
  std::vector<std::string> out;
  out.reserve(X.rows());
  for (Eigen::Index i = 0; i < z.rows(); ++i) {
    if (z.cols() == 1) {   // sklearn: classes[1] where the decision is > 0
      out.push_back(classes_[z(i, 0) > 0 ? 1 : 0]);
    } else {
      Eigen::Index best = 0;
      z.row(i).maxCoeff(&best);   // first maximum, like numpy's argmax
      out.push_back(classes_[best]);
    }
  }
  return out;
}

double LogisticRegression::score(const Matrix& X, const std::vector<std::string>& y) const {
  check_fitted("score");
  EMB_CHECK(y.size() == X.rows(), "LogisticRegression.score: X has ", X.rows(), " rows but y has ", y.size(),
            " labels");
  return accuracy_score(y, predict(X));
}

void LogisticRegression::check_fitted(const char* method) const {
  EMB_CHECK_AS(NotFittedError, fitted(), "LogisticRegression.", method,
               ": this LogisticRegression is not fitted yet; call fit(X, y) first");
}

const std::vector<std::string>& LogisticRegression::classes() const {
  check_fitted("classes");
  return classes_;
}

const Matrix& LogisticRegression::coef() const {
  check_fitted("coef");
  return coef_;
}

const std::vector<float>& LogisticRegression::intercept() const {
  check_fitted("intercept");
  return intercept_;
}

}  // namespace emb
