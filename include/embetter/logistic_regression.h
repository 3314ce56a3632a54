#pragma once
/// @file logistic_regression.h
/// L2-regularised logistic regression as scikit-learn's LogisticRegression
/// with its defaults (penalty='l2', fit_intercept=True, solver='lbfgs'):
/// minimises Σᵢ loss(xᵢ, yᵢ) + ‖W‖² / (2C), the intercept not penalised.
/// Two classes: one weight vector and the logistic loss (classes()[1] is the
/// positive class, as in sklearn). More classes: multinomial softmax with one
/// weight row per class. The objective is strictly convex, so a tight
/// convergence reaches the same optimum as sklearn. Computed in double.
#include <string>
#include <vector>

#include "embetter/matrix.h"

namespace emb {

struct LogisticRegressionParams {
  double C = 1.0;      ///< inverse regularisation strength, > 0
  int max_iter = 1000; ///< L-BFGS iterations
  double tol = 1e-6;   ///< stop when max |gradient| of the objective / n_samples ≤ tol
};

class LogisticRegression {
 public:
  explicit LogisticRegression(LogisticRegressionParams p = {});

  /// X: n × d, finite, non-empty; y: n labels with at least two distinct values.
  LogisticRegression& fit(const Matrix& X, const std::vector<std::string>& y);
  /// n × n_classes, columns in classes() order, rows sum to 1.
  Matrix predict_proba(const Matrix& X) const;
  /// The most probable class of each row.
  std::vector<std::string> predict(const Matrix& X) const;
  /// Mean accuracy of predict(X) against y.
  double score(const Matrix& X, const std::vector<std::string>& y) const;

  /// Sorted class labels (integer-looking labels sort numerically, as numpy would).
  const std::vector<std::string>& classes() const;
  /// sklearn's coef_: 1 × d for two classes, n_classes × d otherwise.
  const Matrix& coef() const;
  /// sklearn's intercept_ (1 or n_classes values).
  const std::vector<float>& intercept() const;
  /// Iterations the solver ran, and whether it met its tolerance within max_iter.
  int n_iter() const noexcept { return n_iter_; }
  bool converged() const noexcept { return converged_; }
  bool fitted() const noexcept { return !classes_.empty(); }
  const LogisticRegressionParams& params() const noexcept { return params_; }

 private:
  void check_fitted(const char* method) const;

  LogisticRegressionParams params_;
  std::vector<std::string> classes_;
  Matrix coef_;
  std::vector<float> intercept_;
  std::vector<double> weights_;   // rows of [coef | intercept], row-major, as fitted
  int n_iter_ = 0;
  bool converged_ = false;
};

}  // namespace emb
