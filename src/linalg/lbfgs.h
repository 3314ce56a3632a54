#pragma once
// A compact L-BFGS minimiser for smooth, unconstrained problems (used by
// LogisticRegression). Two-loop recursion over the last `memory` pairs, a
// backtracking line search with the Armijo condition, and scipy's stopping
// rules: max |gradient| ≤ gtol, or a relative decrease of the objective below
// ftol.
#include <Eigen/Dense>
#include <functional>

namespace emb::linalg {

/// Returns f(x) and writes ∇f(x) into grad (already sized like x).
using Objective = std::function<double(const Eigen::VectorXd& x, Eigen::VectorXd& grad)>;

struct LbfgsOptions {
  int max_iter = 1000;
  double gtol = 1e-6;
  double ftol = 64 * 2.220446049250313e-16;   // scipy's default in sklearn's call
  int memory = 10;
  int max_line_search = 50;
};

struct LbfgsResult {
  int iterations = 0;
  bool converged = false;   // a stopping rule fired before max_iter
  double value = 0;
};

/// Minimises f from x (updated in place).
LbfgsResult minimize_lbfgs(const Objective& f, Eigen::VectorXd& x, const LbfgsOptions& opts);

}  // namespace emb::linalg
