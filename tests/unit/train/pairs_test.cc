#include "train/pairs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "embetter/error.h"

namespace emb::train {
namespace {

TEST(Pairs, EachExampleGetsOnePositiveThenNNegatives) {
  const std::vector<std::int32_t> labels = {0, 1, 2, 0, 1, 0, 2, 1, 0, 2, 2, 2};
  Rng rng(1);
  const auto pairs = generate_pairs(labels, 3, rng);
  ASSERT_EQ(pairs.size(), labels.size() * 4);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const Pair& pos = pairs[4 * i];
    EXPECT_EQ(pos.first, i);
    EXPECT_EQ(pos.label, 1.0f);
    EXPECT_EQ(labels[pos.second], labels[i]);
    EXPECT_NE(pos.second, i) << "every class has several examples, so a positive is never the example itself";
    for (int j = 1; j <= 3; ++j) {
      const Pair& neg = pairs[4 * i + j];
      EXPECT_EQ(neg.first, i);
      EXPECT_EQ(neg.label, 0.0f);
      EXPECT_NE(labels[neg.second], labels[i]);
    }
  }
}

TEST(Pairs, AClassWithOneExamplePairsWithItself) {
  const std::vector<std::int32_t> labels = {0, 0, 1, 0};
  Rng rng(2);
  const auto pairs = generate_pairs(labels, 2, rng);
  EXPECT_EQ(pairs[3 * 2].first, 2u);
  EXPECT_EQ(pairs[3 * 2].second, 2u);
  EXPECT_EQ(pairs[3 * 2].label, 1.0f);
  // Its negatives come from class 0; class 0's negatives can only be example 2.
  EXPECT_EQ(labels[pairs[3 * 2 + 1].second], 0);
  EXPECT_EQ(pairs[1].second, 2u);
  EXPECT_EQ(pairs[2].second, 2u);
}

TEST(Pairs, DrawsAreUniformOverTheAllowedPartners) {
  // Example 0 of class 0: positives among {1, 2} (not itself), negatives among {3, 4, 5, 6}.
  const std::vector<std::int32_t> labels = {0, 0, 0, 1, 1, 2, 2};
  Rng rng(3);
  std::map<std::uint32_t, int> positives, negatives;
  const int rounds = 4000;
  for (int r = 0; r < rounds; ++r) {
    const auto pairs = generate_pairs(labels, 2, rng);
    ++positives[pairs[0].second];
    ++negatives[pairs[1].second];
    ++negatives[pairs[2].second];
  }
  EXPECT_EQ(positives.size(), 2u);
  for (auto [idx, count] : positives) EXPECT_NEAR(count, rounds / 2, 0.05 * rounds) << idx;  // ~6 sigma
  EXPECT_EQ(negatives.size(), 4u);
  for (auto [idx, count] : negatives) EXPECT_NEAR(count, 2 * rounds / 4, 0.04 * rounds) << idx;
}

TEST(Pairs, SameSeedSamePairs) {
  const std::vector<std::int32_t> labels = {3, 1, 3, 1, 2, 2, 3};
  Rng a(9), b(9), c(10);
  const auto pa = generate_pairs(labels, 3, a), pb = generate_pairs(labels, 3, b), pc = generate_pairs(labels, 3, c);
  auto same = [](const std::vector<Pair>& x, const std::vector<Pair>& y) {
    for (std::size_t i = 0; i < x.size(); ++i)
      if (x[i].second != y[i].second) return false;
    return true;
  };
  EXPECT_TRUE(same(pa, pb));
  EXPECT_FALSE(same(pa, pc));
}

TEST(Pairs, OneClassHasNoNegatives) {
  const std::vector<std::int32_t> labels = {4, 4, 4};
  Rng rng(1);
  try {
    generate_pairs(labels, 3, rng);
    ADD_FAILURE() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("at least 2 distinct classes"));
  }
}

}  // namespace
}  // namespace emb::train
