// Kernels and ops on small hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>

#include "embetter/error.h"
#include "nn/encoder.h"
#include "nn/kernels.h"
#include "nn/ops.h"
#include "nn/pooling.h"

namespace emb::nn {
namespace {

TEST(Kernels, GeluVariantsMatchTheirFormulas) {
  float erf_v[3] = {-1.0f, 0.0f, 2.0f}, tanh_v[3] = {-1.0f, 0.0f, 2.0f};
  kernels::bias_activation(erf_v, 1, 3, nullptr, Activation::GeluErf);
  kernels::bias_activation(tanh_v, 1, 3, nullptr, Activation::GeluTanh);
  EXPECT_NEAR(erf_v[0], -0.15865525f, 1e-6f);
  EXPECT_EQ(erf_v[1], 0.0f);
  EXPECT_NEAR(erf_v[2], 1.95449972f, 1e-6f);
  EXPECT_NEAR(tanh_v[0], -0.15880801f, 1e-6f);
  EXPECT_NEAR(tanh_v[2], 1.95459769f, 1e-6f);
}

TEST(Kernels, BiasThenActivation) {
  float y[4] = {-2.0f, 1.0f, 0.5f, -0.5f};
  const float bias[2] = {1.0f, -2.0f};
  kernels::bias_activation(y, 2, 2, bias, Activation::Relu);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_EQ(y[2], 1.5f);
  EXPECT_EQ(y[3], 0.0f);
}

TEST(Kernels, LayerNormGivesZeroMeanUnitVariance) {
  float x[4] = {1.0f, 2.0f, 3.0f, 4.0f};
  const float gamma[4] = {1, 1, 1, 2}, beta[4] = {0, 0, 0, 1};
  kernels::layer_norm(x, 1, 4, gamma, beta, 0.0f);
  // mean 2.5, variance 1.25
  EXPECT_NEAR(x[0], -1.5f / std::sqrt(1.25f), 1e-6f);
  EXPECT_NEAR(x[3], 2.0f * 1.5f / std::sqrt(1.25f) + 1.0f, 1e-6f);
}

TEST(Kernels, SoftmaxRowsRespectsStride) {
  float x[6] = {0.0f, std::log(3.0f), 99.0f, 1.0f, 1.0f, 99.0f};
  kernels::softmax_rows(x, 2, 2, 3);
  EXPECT_NEAR(x[0], 0.25f, 1e-6f);
  EXPECT_NEAR(x[1], 0.75f, 1e-6f);
  EXPECT_EQ(x[2], 99.0f);
  EXPECT_NEAR(x[3], 0.5f, 1e-6f);
}

TEST(Ops, LinearIsXTimesWeightTransposedPlusBias) {
  Linear l{Matrix(2, 3, {1, 2, 3, 4, 5, 6}), {10, 20}};
  Matrix x(1, 3, {1, 0, -1}), y;
  linear(x, l, Activation::Identity, y);
  ASSERT_EQ(y.rows(), 1u);
  ASSERT_EQ(y.cols(), 2u);
  EXPECT_EQ(y(0, 0), 1 - 3 + 10);
  EXPECT_EQ(y(0, 1), 4 - 6 + 20);
  Matrix wrong(1, 2);
  EXPECT_THROW(linear(wrong, l, Activation::Identity, y), InvalidArgument);
}

TEST(Ops, AttentionWithOneTokenReturnsItsValue) {
  // T = 1: softmax is 1, so the context equals V.
  Matrix qkv(1, 6, {0.3f, -1.0f, 2.0f, 5.0f, 7.0f, -9.0f}), scores, ctx;
  self_attention(qkv, 2, nullptr, scores, ctx);
  EXPECT_EQ(ctx(0, 0), 7.0f);
  EXPECT_EQ(ctx(0, 1), -9.0f);
}

TEST(Ops, AttentionAveragesValuesForEqualScores) {
  // Queries are zero, so every key scores 0 and each head averages V.
  Matrix qkv(2, 3, {0, 1, 2, 0, 3, 6}), scores, ctx;
  self_attention(qkv, 1, nullptr, scores, ctx);
  EXPECT_FLOAT_EQ(ctx(0, 0), 4.0f);
  EXPECT_FLOAT_EQ(ctx(1, 0), 4.0f);
}

TEST(Pooling, ModesOnTwoTokens) {
  Matrix tokens(2, 2, {1, 4, 3, -2});
  const PoolingMode modes[] = {PoolingMode::Cls,  PoolingMode::Max,          PoolingMode::Mean,
                               PoolingMode::MeanSqrtLen, PoolingMode::WeightedMean, PoolingMode::LastToken};
  std::vector<float> out(12);
  pool(tokens, modes, out);
  const std::vector<float> expected = {1, 4, 3, 4, 2, 1, 4 / std::sqrt(2.0f), 2 / std::sqrt(2.0f),
                                       7 / 3.0f, 0, 3, -2};
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_NEAR(out[i], expected[i], 1e-6f) << i;
  PoolingMode m;
  EXPECT_FALSE(parse_pooling_mode("median", m));
  EXPECT_TRUE(parse_pooling_mode("lasttoken", m));
}

TEST(RelativePositionBucket, MatchesTransformersTable) {
  // Values printed by transformers' MPNetEncoder.relative_position_bucket
  // (torch float32) for 32 buckets, max_distance 128; 16, 32 and 64 sit on
  // bucket boundaries.
  const std::pair<int, int> expected[] = {
      {0, 0},     {-1, 1},    {-7, 7},    {-8, 8},    {-11, 8},   {-12, 9},   {-15, 9},   {-16, 10},
      {-22, 10},  {-23, 11},  {-31, 11},  {-32, 12},  {-45, 12},  {-46, 13},  {-63, 13},  {-64, 14},
      {-90, 14},  {-91, 15},  {-127, 15}, {-128, 15}, {-500, 15}, {1, 17},    {7, 23},    {8, 24},
      {11, 24},   {12, 25},   {15, 25},   {16, 26},   {17, 26},   {22, 26},   {23, 27},   {31, 27},
      {32, 28},   {33, 28},   {45, 28},   {46, 29},   {63, 29},   {64, 30},   {65, 30},   {90, 30},
      {91, 31},   {127, 31},  {128, 31},  {129, 31},  {511, 31}};
  for (const auto& [rel, bucket] : expected)
    EXPECT_EQ(relative_position_bucket(rel, 32, 128), static_cast<std::size_t>(bucket)) << "relative " << rel;
}

TEST(SinusoidalPositions, FirstRowsAreSinAndCos) {
  const Matrix t = sinusoidal_position_table(3, 4);
  EXPECT_EQ(t(0, 0), 0.0f);
  EXPECT_EQ(t(0, 1), 1.0f);
  EXPECT_NEAR(t(1, 0), std::sin(1.0f), 1e-7f);
  EXPECT_NEAR(t(2, 3), std::cos(2.0f / 100.0f), 1e-7f);
}

}  // namespace
}  // namespace emb::nn
