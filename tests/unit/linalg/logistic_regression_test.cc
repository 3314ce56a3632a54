#include "embetter/logistic_regression.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "embetter/error.h"
#include "oracle_files.h"

namespace emb {
namespace {

using test::read_labels;
using test::read_table;

class LogisticRegressionMatchesSklearn : public ::testing::TestWithParam<std::pair<const char*, double>> {};

TEST_P(LogisticRegressionMatchesSklearn, ProbabilitiesPredictionsAndScore) {
  const std::string name = GetParam().first;
  EMB_REQUIRE_FIXTURE(test::linalg_golden(name + "_X"));
  const Matrix X = read_table(name + "_X").matrix(), X_test = read_table(name + "_X_test").matrix();
  const auto y = read_labels(name + "_y");
  LogisticRegression clf({.C = GetParam().second});
  clf.fit(X, y);
  EXPECT_TRUE(clf.converged()) << clf.n_iter() << " iterations";
  EXPECT_EQ(clf.classes(), read_labels(name + "_classes"));

  const auto expected = read_table(name + "_proba");
  const Matrix proba = clf.predict_proba(X_test);
  ASSERT_EQ(proba.rows(), expected.rows);
  ASSERT_EQ(proba.cols(), expected.cols);
  double worst = 0;
  for (std::size_t i = 0; i < proba.size(); ++i) worst = std::max(worst, std::fabs(proba.data()[i] - expected.values[i]));
  EXPECT_LT(worst, 1e-3);
  EXPECT_EQ(clf.predict(X_test), read_labels(name + "_predict"));
  EXPECT_DOUBLE_EQ(clf.score(X, y), read_table(name + "_score").values[0]);
}

// digits: 10 classes (multinomial); binary: two string classes, C = 0.5.
INSTANTIATE_TEST_SUITE_P(Oracle, LogisticRegressionMatchesSklearn,
                         ::testing::Values(std::pair{"logreg_digits", 1.0}, std::pair{"logreg_binary", 0.5}));

TEST(LogisticRegression, ShapesOfCoefAndProbabilities) {
  const Matrix X(6, 2, {0, 0, 1, 0, 0, 1, 5, 5, 6, 5, 5, 6});
  LogisticRegression clf;
  clf.fit(X, {"b", "b", "b", "a", "a", "a"});
  EXPECT_EQ(clf.classes(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(clf.coef().rows(), 1u);   // binary: one weight vector, as sklearn
  EXPECT_EQ(clf.intercept().size(), 1u);
  const Matrix p = clf.predict_proba(X);
  for (std::size_t i = 0; i < p.rows(); ++i) EXPECT_NEAR(p(i, 0) + p(i, 1), 1.0f, 1e-6f);
  EXPECT_EQ(clf.predict(X), (std::vector<std::string>{"b", "b", "b", "a", "a", "a"}));
  EXPECT_DOUBLE_EQ(clf.score(X, {"b", "b", "b", "a", "a", "a"}), 1.0);
}

TEST(LogisticRegressionBadInput, Rejected) {
  EXPECT_THROW(LogisticRegression({.C = 0.0}), InvalidArgument);
  EXPECT_THROW(LogisticRegression({.max_iter = 0}), InvalidArgument);
  const Matrix X(4, 2, {0, 0, 1, 0, 5, 5, 6, 5});
  LogisticRegression clf;
  EXPECT_THROW(clf.fit(X, {"a", "a", "b"}), InvalidArgument);    // length
  EXPECT_THROW(clf.fit(Matrix(), {}), InvalidArgument);           // empty
  Matrix nan = X;
  nan(2, 1) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(clf.fit(nan, {"a", "a", "b", "b"}), InvalidArgument);
  try {
    clf.fit(X, {"a", "a", "a", "a"});
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("single class ('a')"), std::string::npos) << e.what();
  }
  EXPECT_THROW(clf.predict(X), NotFittedError);
  EXPECT_THROW(clf.predict_proba(X), NotFittedError);
  clf.fit(X, {"a", "a", "b", "b"});
  try {
    clf.predict(Matrix(1, 3));
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("X has 3 features"), std::string::npos) << e.what();
  }
  EXPECT_THROW(clf.score(X, {"a"}), InvalidArgument);
}

}  // namespace
}  // namespace emb
