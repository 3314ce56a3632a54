#include "linalg/lbfgs.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <vector>

namespace emb::linalg {

LbfgsResult minimize_lbfgs(const Objective& f, Eigen::VectorXd& x, const LbfgsOptions& opts) {
  struct Pair {
    Eigen::VectorXd s, y;
    double rho;
  };
  std::deque<Pair> history;
  Eigen::VectorXd grad(x.size()), next_grad(x.size()), direction(x.size());
  LbfgsResult result;
  result.value = f(x, grad);

  for (result.iterations = 0; result.iterations < opts.max_iter; ++result.iterations) {
    if (grad.size() == 0 || grad.cwiseAbs().maxCoeff() <= opts.gtol) {
      result.converged = true;
      break;
    }
    // Two-loop recursion: direction = −H·grad with the implicit inverse Hessian H.
    direction = -grad;
    std::vector<double> alpha(history.size());
    for (std::size_t i = history.size(); i-- > 0;) {
      alpha[i] = history[i].rho * history[i].s.dot(direction);
      direction -= alpha[i] * history[i].y;
    }
    if (!history.empty()) {
      const Pair& last = history.back();
      direction *= last.s.dot(last.y) / last.y.squaredNorm();
    } else {
      direction /= std::max(1.0, grad.norm());   // first step: at most unit length
    }
    for (std::size_t i = 0; i < history.size(); ++i) {
      const double beta = history[i].rho * history[i].y.dot(direction);
      direction += (alpha[i] - beta) * history[i].s;
    }
    double slope = grad.dot(direction);
    if (slope >= 0) {   // lost descent (rounding): restart from steepest descent
      history.clear();
      direction = -grad / std::max(1.0, grad.norm());
      slope = grad.dot(direction);
    }

    // Backtracking line search on the Armijo condition.
    double step = 1.0, next_value = 0;
    Eigen::VectorXd next_x;
    bool accepted = false;
    for (int ls = 0; ls < opts.max_line_search; ++ls, step *= 0.5) {
      next_x = x + step * direction;
      next_value = f(next_x, next_grad);
      if (std::isfinite(next_value) && next_value <= result.value + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
    }
    if (!accepted) {   // no decrease possible at working precision: we are at the minimum
      result.converged = true;
      break;
    }

    Pair pair{next_x - x, next_grad - grad, 0.0};
    const double sy = pair.s.dot(pair.y);
    // Keep the curvature pair only when it is positive (always, for a convex f,
    // up to rounding), so that H stays positive definite.
    if (sy > 1e-12 * pair.y.squaredNorm()) {
      pair.rho = 1.0 / sy;
      history.push_back(std::move(pair));
      if (static_cast<int>(history.size()) > opts.memory) history.pop_front();
    }
    const double decrease = result.value - next_value;
    x.swap(next_x);
    grad.swap(next_grad);
    result.value = next_value;
    if (decrease <= opts.ftol * std::max({std::fabs(result.value), std::fabs(result.value + decrease), 1.0})) {
      ++result.iterations;   // scipy counts this as convergence too
      result.converged = true;
      break;
    }
  }
  return result;
}

}  // namespace emb::linalg
