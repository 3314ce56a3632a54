// TorchGenerator's own properties. That its draws are torch's, bit for bit, is
// checked against torch itself in tests/python/test_finetune_torch_draws.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "embetter/torch_generator.h"

namespace emb {
namespace {

TEST(TorchGenerator, EngineIsTheStandard32BitMersenneTwister) {
  // The standard fixes mt19937's 10000th value for the default seed 5489.
  TorchGenerator g(std::uint64_t{5489});
  std::uint32_t v = 0;
  for (int i = 0; i < 10000; ++i) v = g.random();
  EXPECT_EQ(v, 4123659995u);
}

TEST(TorchGenerator, SeedsKeepTheirLow32BitsAsTorchDoes) {
  TorchGenerator a(std::uint64_t{42}), b(std::uint64_t{42} + (std::uint64_t{1} << 32)), c(std::uint64_t{43});
  const std::uint32_t first = a.random();
  EXPECT_EQ(first, b.random());
  EXPECT_NE(first, c.random());
}

TEST(TorchGenerator, Random64IsTwoDrawsHighHalfFirst) {
  TorchGenerator a(std::uint64_t{7}), b(std::uint64_t{7});
  const std::uint64_t hi = b.random(), lo = b.random();
  EXPECT_EQ(a.random64(), hi << 32 | lo);
  EXPECT_LT(TorchGenerator(std::uint64_t{7}).random_int64(), std::uint64_t{1} << 63);
}

TEST(TorchGenerator, UniformStaysWithinItsBounds) {
  TorchGenerator g(std::uint64_t{1});
  for (int i = 0; i < 10000; ++i) {
    const float u = g.uniform(-0.25, 0.5);
    ASSERT_GE(u, -0.25f);
    ASSERT_LE(u, 0.5f);
  }
}

TEST(TorchGenerator, AnEpochIsAPermutationAndTakesFourDrawsFromTheGlobalGenerator) {
  TorchGenerator global(std::uint64_t{3}), reference(std::uint64_t{3});
  std::vector<std::size_t> order(57);
  global.data_loader_epoch(std::span<std::size_t>(order));
  std::vector<std::size_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(sorted[i], i);
  EXPECT_FALSE(std::is_sorted(order.begin(), order.end()));
  // Two int64 seeds (base, sampler); the permutation draws from its own generator.
  for (int i = 0; i < 4; ++i) reference.random();
  EXPECT_EQ(global.random(), reference.random());
}

}  // namespace
}  // namespace emb
