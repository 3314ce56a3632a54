#include "embetter/metrics.h"

#include <gtest/gtest.h>

#include <limits>

#include "embetter/error.h"
#include "oracle_files.h"

namespace emb {
namespace {

using test::read_labels;
using test::read_table;

TEST(SilhouetteScore, MatchesSklearnOnDigits) {
  EMB_REQUIRE_FIXTURE(test::linalg_golden("sil_digits_X"));
  const double ours = silhouette_score(read_table("sil_digits_X").matrix(), read_labels("sil_digits_labels"));
  EXPECT_NEAR(ours, read_table("sil_digits_score").values[0], 1e-6);
}

TEST(SilhouetteScore, SingletonClusterScoresZeroAsInSklearn) {
  EMB_REQUIRE_FIXTURE(test::linalg_golden("sil_blobs_X"));
  const double ours = silhouette_score(read_table("sil_blobs_X").matrix(), read_labels("sil_blobs_labels"));
  EXPECT_NEAR(ours, read_table("sil_blobs_score").values[0], 1e-6);
}

TEST(SilhouetteScore, HandComputedCase) {
  // Points 0, 1 (cluster a) and 4, 6 (cluster b) on a line.
  const Matrix X(4, 1, {0.f, 1.f, 4.f, 6.f});
  // a: a=1, b=(4+6)/2=5 → 0.8; a=1, b=(3+5)/2=4 → 0.75
  // b: a=2, b=(4+3)/2=3.5 → 3/7; a=2, b=(6+5)/2=5.5 → 7/11
  const double expected = (0.8 + 0.75 + 1.5 / 3.5 + 3.5 / 5.5) / 4;
  EXPECT_NEAR(silhouette_score(X, {"a", "a", "b", "b"}), expected, 1e-12);
}

TEST(SilhouetteScoreBadInput, Rejected) {
  const Matrix X(4, 1, {0.f, 1.f, 4.f, 6.f});
  EXPECT_THROW(silhouette_score(X, {"a", "a", "a", "a"}), InvalidArgument);   // one label
  EXPECT_THROW(silhouette_score(X, {"a", "b", "c", "d"}), InvalidArgument);   // n labels
  EXPECT_THROW(silhouette_score(X, {"a", "b", "a"}), InvalidArgument);        // length
  EXPECT_THROW(silhouette_score(Matrix(), {}), InvalidArgument);
  Matrix bad = X;
  bad(1, 0) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(silhouette_score(bad, {"a", "a", "b", "b"}), InvalidArgument);
}

TEST(AccuracyScore, MatchesSklearn) {
  EMB_REQUIRE_FIXTURE(test::linalg_golden("accuracy_score"));
  const std::vector<std::string> y_true{"a", "a", "b", "b", "c"}, y_pred{"a", "b", "b", "b", "c"};
  EXPECT_DOUBLE_EQ(accuracy_score(y_true, y_pred), read_table("accuracy_score").values[0]);
}

TEST(AccuracyScoreBadInput, Rejected) {
  EXPECT_THROW(accuracy_score({}, {}), InvalidArgument);
  try {
    accuracy_score({"a", "b"}, {"a"});
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("y_pred has 1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace emb
