// Backpropagation of the FeedForwardTuner's network against central finite
// differences, in double (where differences of 1e-6 are meaningful), and the
// float path against the double path.
#include "train/feed_forward_net.h"

#include <gtest/gtest.h>

#include <vector>

#include "embetter/random.h"

namespace emb::train {
namespace {

constexpr FeedForwardObjective kObjectives[] = {FeedForwardObjective::sigmoid_cross_entropy,
                                                FeedForwardObjective::softmax_cross_entropy};

struct Problem {
  FeedForwardShape shape{7, 5, 3};
  FeedForwardObjective objective = FeedForwardObjective::sigmoid_cross_entropy;
  std::vector<double> params;
  RowMat<double> X;
  std::vector<std::int32_t> y;
};

Problem make_problem(int batch, std::uint64_t seed) {
  Problem p;
  Rng rng(seed);
  p.params.resize(static_cast<std::size_t>(p.shape.n_params()));
  for (auto& w : p.params) w = rng.normal();  // larger than the init, to exercise the sigmoid's curvature
  p.X.resize(batch, p.shape.n_in);
  for (Eigen::Index i = 0; i < p.X.size(); ++i) p.X.data()[i] = rng.normal();
  for (int i = 0; i < batch; ++i) p.y.push_back(static_cast<std::int32_t>(rng.uniform_int(3)));
  return p;
}

double loss_at(const Problem& p, const std::vector<double>& params) {
  FeedForwardWorkspace<double> ws(p.shape, p.X.rows());
  std::vector<double> grads(params.size());
  return feed_forward_loss_and_grads<double>(p.shape, p.objective, params.data(), p.X, p.y, grads.data(), ws);
}

// The loss as each objective defines it, written out: h = σ(X W1ᵀ + b1),
// z = h W2ᵀ + b2, then the mean of −log softmax(σ(z))_y or −log softmax(z)_y.
double loss_by_definition(const Problem& p) {
  const auto hidden = p.shape.hidden(), head = p.shape.head();
  const RowMat<double> W1 = hidden.weight(p.params.data()), W2 = head.weight(p.params.data());
  const Eigen::RowVectorXd b1 = hidden.bias(p.params.data()), b2 = head.bias(p.params.data());
  const auto sigmoid = [](const Eigen::RowVectorXd& v) -> Eigen::RowVectorXd {
    return (1.0 + (-v.array()).exp()).inverse().matrix();
  };
  double total = 0;
  for (Eigen::Index i = 0; i < p.X.rows(); ++i) {
    const Eigen::RowVectorXd h = sigmoid(p.X.row(i) * W1.transpose() + b1);
    Eigen::RowVectorXd z = h * W2.transpose() + b2;
    if (p.objective == FeedForwardObjective::sigmoid_cross_entropy) z = sigmoid(z);
    total += std::log(z.array().exp().sum()) - z(p.y[static_cast<std::size_t>(i)]);
  }
  return total / static_cast<double>(p.X.rows());
}

TEST(FeedForwardNet, LossIsTheObjectivesDefinition) {
  for (const auto objective : kObjectives) {
    Problem p = make_problem(6, 3);
    p.objective = objective;
    EXPECT_NEAR(loss_at(p, p.params), loss_by_definition(p), 1e-12) << objective_name(objective);
  }
  // The two differ: σ bounds what the softmax sees to (0, 1).
  Problem sigmoid = make_problem(6, 3), softmax = sigmoid;
  softmax.objective = FeedForwardObjective::softmax_cross_entropy;
  EXPECT_GT(std::abs(loss_at(sigmoid, sigmoid.params) - loss_at(softmax, softmax.params)), 1e-3);
}

TEST(FeedForwardNet, GradientsMatchFiniteDifferencesInDouble) {
  for (const auto objective : kObjectives)
  for (int batch : {1, 6}) {
    Problem p = make_problem(batch, 11 + batch);
    p.objective = objective;
    FeedForwardWorkspace<double> ws(p.shape, batch);
    std::vector<double> grads(p.params.size());
    feed_forward_loss_and_grads<double>(p.shape, p.objective, p.params.data(), p.X, p.y, grads.data(), ws);
    const double h = 1e-6;
    for (std::size_t i = 0; i < p.params.size(); ++i) {
      auto plus = p.params, minus = p.params;
      plus[i] += h;
      minus[i] -= h;
      const double numeric = (loss_at(p, plus) - loss_at(p, minus)) / (2 * h);
      // Central differences have O(h²) ≈ 1e-12 truncation and ~1e-10 rounding error here.
      EXPECT_NEAR(grads[i], numeric, 1e-8 + 1e-6 * std::abs(numeric))
          << "parameter " << i << ", batch " << batch << ", " << objective_name(objective);
    }
  }
}

TEST(FeedForwardNet, FloatPathAgreesWithDoublePath) {
  for (const auto objective : kObjectives) {
    Problem p = make_problem(9, 5);
    FeedForwardWorkspace<double> wsd(p.shape, 9);
    std::vector<double> gd(p.params.size());
    const double loss_d =
        feed_forward_loss_and_grads<double>(p.shape, objective, p.params.data(), p.X, p.y, gd.data(), wsd);

    std::vector<float> pf(p.params.begin(), p.params.end()), gf(p.params.size());
    RowMat<float> Xf = p.X.cast<float>();
    FeedForwardWorkspace<float> wsf(p.shape, 9);
    const float loss_f = feed_forward_loss_and_grads<float>(p.shape, objective, pf.data(), Xf, p.y, gf.data(), wsf);
    EXPECT_NEAR(loss_f, loss_d, 1e-5 * std::abs(loss_d)) << objective_name(objective);
    for (std::size_t i = 0; i < gd.size(); ++i)
      EXPECT_NEAR(gf[i], gd[i], 1e-5) << "parameter " << i << ", " << objective_name(objective);
  }
}

TEST(FeedForwardNet, SoftmaxRowsSumToOneAndSurviveLargeLogits) {
  RowMat<float> z(2, 3);
  z << 1000.0f, 1001.0f, 999.0f, -5.0f, 0.0f, 5.0f;
  softmax_rows(z);
  for (int r = 0; r < 2; ++r) {
    EXPECT_NEAR(z.row(r).sum(), 1.0f, 1e-6f);
    EXPECT_TRUE(z.row(r).allFinite());
  }
  EXPECT_GT(z(0, 1), z(0, 0));
}

}  // namespace
}  // namespace emb::train

