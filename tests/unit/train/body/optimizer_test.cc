// AdamW, the warm-up/linear-decay schedule and gradient clipping of body
// finetuning, against updates worked out by hand or in double.
// (tests/python/test_body_optim.py runs them against torch and transformers.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "embetter/error.h"
#include "embetter/random.h"
#include "support/test_support.h"
#include "train/body/adamw.h"
#include "train/body/grad_clip.h"
#include "train/body/lr_schedule.h"

namespace emb::train::body {
namespace {

ParameterRef ref(const char* name, std::vector<float>& values, std::vector<float>& grad, bool decay) {
  ParameterRef p;
  p.file = "model.safetensors";
  p.name = name;
  p.shape = {static_cast<std::int64_t>(values.size())};
  p.values = values;
  p.grad = grad;
  p.decay = decay;
  return p;
}

TEST(AdamW, FirstStepByHand) {
  // lr 0.1, wd 0.1, g = 0.5: decay 1 → 0.99; m̂ = 0.5, v̂ = 0.25, so the Adam
  // step is lr·m̂/√v̂ = 0.1. The biases' group has no decay: 1 − 0.1.
  std::vector<float> w = {1.0f, -2.0f}, gw = {0.5f, -0.5f}, b = {1.0f}, gb = {0.5f};
  AdamW opt({ref("weight", w, gw, true), ref("bias", b, gb, false)}, {.weight_decay = 0.1});
  EXPECT_EQ(opt.steps(), 0);
  opt.step(0.1);
  EXPECT_EQ(opt.steps(), 1);
  EXPECT_NEAR(w[0], 0.89f, 1e-6f);
  EXPECT_NEAR(w[1], -2.0f * 0.99f + 0.1f, 1e-6f);
  EXPECT_NEAR(b[0], 0.9f, 1e-6f);
  EXPECT_EQ(gw, std::vector<float>(2, 0.0f)) << "step zeroes the gradients";
  EXPECT_EQ(gb, std::vector<float>(1, 0.0f));
}

TEST(AdamW, StepsMatchAnUpdateInDouble) {
  // Twelve steps with a changing learning rate (including 0, the first step
  // of a warm-up) against torch's formulas evaluated in double.
  const std::vector<double> lrs = {0.0, 0.01, 0.02, 0.03, 0.03, 0.025, 0.02, 0.015, 0.01, 0.005, 0.002, 0.001};
  const AdamWHyper hyper{.weight_decay = 0.05};
  Rng rng(7);
  std::vector<std::vector<float>> values(3), grads(3);
  std::vector<std::vector<double>> ref_p(3), ref_m(3), ref_v(3);
  const std::size_t sizes[] = {5, 17, 3};
  const bool decay[] = {true, false, true};
  for (int t = 0; t < 3; ++t) {
    for (std::size_t k = 0; k < sizes[t]; ++k) values[t].push_back(static_cast<float>(rng.normal()));
    grads[t].assign(sizes[t], 0.0f);
    ref_p[t].assign(values[t].begin(), values[t].end());
    ref_m[t].assign(sizes[t], 0.0);
    ref_v[t].assign(sizes[t], 0.0);
  }
  AdamW opt({ref("a", values[0], grads[0], decay[0]), ref("b", values[1], grads[1], decay[1]),
             ref("c", values[2], grads[2], decay[2])},
            hyper);
  for (std::size_t s = 0; s < lrs.size(); ++s) {
    const double lr = lrs[s], step = static_cast<double>(s + 1);
    for (int t = 0; t < 3; ++t) {
      for (std::size_t k = 0; k < sizes[t]; ++k) {
        const float g = static_cast<float>(rng.normal() * (t + 1));
        grads[t][k] = g;
        if (decay[t]) ref_p[t][k] *= 1.0 - lr * hyper.weight_decay;
        ref_m[t][k] = 0.9 * ref_m[t][k] + 0.1 * g;
        ref_v[t][k] = 0.999 * ref_v[t][k] + 0.001 * double(g) * g;
        const double denom = std::sqrt(ref_v[t][k]) / std::sqrt(1.0 - std::pow(0.999, step)) + 1e-8;
        ref_p[t][k] -= lr / (1.0 - std::pow(0.9, step)) * ref_m[t][k] / denom;
      }
    }
    opt.step(lr);
    for (int t = 0; t < 3; ++t)
      for (std::size_t k = 0; k < sizes[t]; ++k)
        EXPECT_NEAR(values[t][k], ref_p[t][k], 1e-6 * (1.0 + std::abs(ref_p[t][k])))
            << "step " << s + 1 << " tensor " << t << " index " << k;
  }
  EXPECT_EQ(opt.steps(), static_cast<std::int64_t>(lrs.size()));
}

TEST(AdamW, ZeroLearningRateMovesNothingButCountsTheStep) {
  std::vector<float> w = {0.25f, -3.0f}, g = {1.0f, -2.0f};
  AdamW opt({ref("w", w, g, true)});
  opt.step(0.0);
  EXPECT_EQ(w, (std::vector<float>{0.25f, -3.0f}));
  EXPECT_EQ(opt.steps(), 1);
}

TEST(AdamW, RejectsBadArguments) {
  std::vector<float> w(3), g(2);
  EMB_EXPECT_THROW_WITH(AdamW({ref("encoder.layer.0.attention.self.query.weight", w, g, true)}), InvalidArgument,
                        "AdamW: parameter 0 ('encoder.layer.0.attention.self.query.weight' in model.safetensors) "
                        "has 3 values but a gradient of 2");
  std::vector<float> g3(3);
  EMB_EXPECT_THROW_WITH(AdamW({ref("w", w, g3, true)}, {.beta1 = 1.0}), InvalidArgument,
                        "AdamW: beta1 is 1; expected a value in [0, 1)");
  EMB_EXPECT_THROW_WITH(AdamW({ref("w", w, g3, true)}, {.weight_decay = -0.01}), InvalidArgument,
                        "weight_decay is -0.01");
  AdamW opt({ref("w", w, g3, true)});
  EMB_EXPECT_THROW_WITH(opt.step(-1e-3), InvalidArgument, "AdamW::step: lr is -0.001; expected a finite value >= 0");
  EMB_EXPECT_THROW_WITH(opt.step(std::numeric_limits<double>::quiet_NaN()), InvalidArgument, "lr is nan");
  EXPECT_EQ(opt.steps(), 0) << "a refused step changes nothing";
}

TEST(WarmupLinearLr, MatchesTransformersFormula) {
  // warmup 10, total 110: rises by 1/10 per step, peaks at step 10, then
  // falls by 1/100 per step to 0 at step 110, and stays 0 after.
  EXPECT_EQ(warmup_linear_lr(2e-5, 0, 10, 110), 0.0);
  EXPECT_EQ(warmup_linear_lr(2e-5, 5, 10, 110), 2e-5 * (5.0 / 10.0));
  EXPECT_EQ(warmup_linear_lr(2e-5, 10, 10, 110), 2e-5);
  EXPECT_EQ(warmup_linear_lr(2e-5, 60, 10, 110), 2e-5 * (50.0 / 100.0));
  EXPECT_EQ(warmup_linear_lr(2e-5, 109, 10, 110), 2e-5 * (1.0 / 100.0));
  EXPECT_EQ(warmup_linear_lr(2e-5, 110, 10, 110), 0.0);
  EXPECT_EQ(warmup_linear_lr(2e-5, 500, 10, 110), 0.0);
  // No warm-up: the first step already uses the full rate.
  EXPECT_EQ(warmup_linear_lr(1e-3, 0, 0, 4), 1e-3);
  EXPECT_EQ(warmup_linear_lr(1e-3, 3, 0, 4), 1e-3 * 0.25);
  // fit's default warm-up (10000 steps) longer than a short run: the rate
  // never leaves the warm-up ramp.
  EXPECT_EQ(warmup_linear_lr(2e-5, 99, 10000, 100), 2e-5 * (99.0 / 10000.0));
  // total == warmup: max(1, 0) keeps the decay's division defined.
  EXPECT_EQ(warmup_linear_lr(1.0, 5, 5, 5), 0.0);
  EMB_EXPECT_THROW_WITH(warmup_linear_lr(1.0, -1, 5, 10), InvalidArgument, "step -1");
}

TEST(ClipGradNorm, ScalesToMaxNormAndReturnsTheNormBefore) {
  // Norms 5 and 12: total 13.
  std::vector<float> v1(2), g1 = {3.0f, 4.0f}, v2(1), g2 = {12.0f};
  const std::vector<ParameterRef> params = {ref("a", v1, g1, true), ref("b", v2, g2, false)};
  EXPECT_FLOAT_EQ(clip_grad_norm(params, 1.0f), 13.0f);
  const float coef = 1.0f / (13.0f + 1e-6f);
  EXPECT_FLOAT_EQ(g1[0], 3.0f * coef);
  EXPECT_FLOAT_EQ(g1[1], 4.0f * coef);
  EXPECT_FLOAT_EQ(g2[0], 12.0f * coef);
  // The norm is now just under 1, below max_norm 2: nothing changes.
  const std::vector<float> before1 = g1, before2 = g2;
  EXPECT_NEAR(clip_grad_norm(params, 2.0f), 1.0f, 1e-6f);
  EXPECT_EQ(g1, before1);
  EXPECT_EQ(g2, before2);
}

TEST(ClipGradNorm, EmptyAndRejected) {
  EXPECT_EQ(clip_grad_norm({}, 1.0f), 0.0f);
  std::vector<float> v(1), g = {1.0f};
  const std::vector<ParameterRef> params = {ref("a", v, g, true)};
  EMB_EXPECT_THROW_WITH(clip_grad_norm(params, 0.0f), InvalidArgument,
                        "clip_grad_norm: max_norm is 0; expected a finite value > 0");
}

}  // namespace
}  // namespace emb::train::body
