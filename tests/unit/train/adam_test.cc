#include "train/adam.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace emb::train {
namespace {

// Three Adam steps against (a) the update worked out by hand in double and
// (b) the values torch 2.13's torch.optim.Adam([p], lr=0.01) printed for the
// same start and gradients (python: p = [1, -2, 0.5, 3]; grads as below).
TEST(Adam, ThreeStepsMatchHandComputationAndTorch) {
  const std::vector<std::vector<float>> grads = {
      {0.1f, -0.2f, 0.0f, 1e-3f}, {-0.3f, 0.05f, 0.2f, 2.0f}, {0.7f, 0.7f, -0.1f, 0.0f}};
  const std::vector<std::vector<double>> torch_params = {
      {0.9900000095367432, -1.9900000095367432, 0.5, 2.990000009536743},
      {0.9949418902397156, -1.9853053092956543, 0.49255862832069397, 2.982555389404297},
      {0.9906916618347168, -1.9904093742370605, 0.4902722239494324, 2.9768006801605225}};

  std::vector<float> p = {1.0f, -2.0f, 0.5f, 3.0f}, m(4, 0.0f), v(4, 0.0f);
  std::vector<double> hp = {1.0, -2.0, 0.5, 3.0}, hm(4, 0.0), hv(4, 0.0);
  const AdamHyper hyper{.lr = 0.01f};
  for (int t = 1; t <= 3; ++t) {
    const auto g = grads[t - 1];
    auto consumed = g;
    adam_step(hyper, t, p, consumed, m, v);
    EXPECT_EQ(consumed, std::vector<float>(4, 0.0f)) << "the gradient is left zeroed";
    for (int i = 0; i < 4; ++i) {
      // By hand: m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²; p -= lr m̂ / (√v̂ + eps).
      hm[i] = 0.9 * hm[i] + 0.1 * g[i];
      hv[i] = 0.999 * hv[i] + 0.001 * double(g[i]) * g[i];
      const double m_hat = hm[i] / (1 - std::pow(0.9, t)), v_hat = hv[i] / (1 - std::pow(0.999, t));
      hp[i] -= 0.01 * m_hat / (std::sqrt(v_hat) + 1e-8);
      EXPECT_NEAR(m[i], hm[i], 1e-7) << "step " << t << " index " << i;
      EXPECT_NEAR(v[i], hv[i], 1e-9) << "step " << t << " index " << i;
      EXPECT_NEAR(p[i], hp[i], 2e-7) << "step " << t << " index " << i;
      EXPECT_NEAR(p[i], torch_params[t - 1][i], 2e-7) << "step " << t << " index " << i;
    }
  }
  // First step moves every parameter with a non-zero gradient by lr against its sign.
  EXPECT_FLOAT_EQ(0.99f, static_cast<float>(torch_params[0][0]));
}

TEST(Adam, ZeroGradientLeavesParameterAndMomentsUnchanged) {
  std::vector<float> p(37, 0.25f), g(37, 0.0f), m(37, 0.0f), v(37, 0.0f);
  adam_step(AdamHyper{.lr = 0.1f}, 1, p, g, m, v);
  for (float x : p) EXPECT_EQ(x, 0.25f);
  for (float x : m) EXPECT_EQ(x, 0.0f);
}

}  // namespace
}  // namespace emb::train
