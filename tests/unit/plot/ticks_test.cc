#include "plot/ticks.h"

#include <gtest/gtest.h>

namespace emb::plot {
namespace {

TEST(NiceTicks, RoundStepsInsideTheView) {
  // Expected values are matplotlib's MaxNLocator(nbins, steps=[1, 2, 2.5, 5, 10]) ticks within the view.
  EXPECT_EQ(nice_ticks(-0.33, 0.87, 9), (std::vector<double>{-0.2, 0.0, 0.2, 0.4, 0.6, 0.8}));
  EXPECT_EQ(nice_ticks(0.0, 10.0, 9), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(nice_ticks(0.0, 10.0, 4), (std::vector<double>{0.0, 2.5, 5.0, 7.5, 10.0}));
  EXPECT_EQ(nice_ticks(-3.2, 2.7, 5), (std::vector<double>{-2, 0, 2}));
}

TEST(NiceTicks, FarFromZeroAndTinyRanges) {
  EXPECT_EQ(nice_ticks(1000.2, 1000.9, 4), (std::vector<double>{1000.2, 1000.4, 1000.6, 1000.8}));
  const auto tiny = nice_ticks(1e-7, 5e-7, 4);
  ASSERT_EQ(tiny.size(), 5u);
  for (std::size_t i = 0; i < tiny.size(); ++i) EXPECT_NEAR(tiny[i], (i + 1) * 1e-7, 1e-18);
}

TEST(TickLabels, CommonDecimalsAndTrueMinus) {
  EXPECT_EQ(tick_labels({-0.5, 0.0, 0.5, 1.0}), (std::vector<std::string>{"\u22120.5", "0.0", "0.5", "1.0"}));
  EXPECT_EQ(tick_labels({0, 2.5, 5, 7.5}), (std::vector<std::string>{"0.0", "2.5", "5.0", "7.5"}));
  EXPECT_EQ(tick_labels({-2, 0, 2}), (std::vector<std::string>{"\u22122", "0", "2"}));
  EXPECT_EQ(tick_labels({0.25, 0.5}), (std::vector<std::string>{"0.25", "0.50"}));
  EXPECT_EQ(tick_labels({1e7, 2e7}), (std::vector<std::string>{"1e+07", "2e+07"}));
}

TEST(PaddedRange, FivePercentMarginsAndZeroWidth) {
  EXPECT_EQ(padded_range(0.0, 10.0), (std::pair<double, double>{-0.5, 10.5}));
  EXPECT_EQ(padded_range(0.0, 0.0), (std::pair<double, double>{-1.0, 1.0}));
  EXPECT_EQ(padded_range(2.0, 2.0), (std::pair<double, double>{1.9, 2.1}));
}

}  // namespace
}  // namespace emb::plot
