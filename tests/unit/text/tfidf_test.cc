// TfidfVectorizer against scikit-learn (goldens from tests/oracles/tfidf_oracle.py)
// and its error handling.
#include "embetter/tfidf.h"

#include <gmock/gmock.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "embetter/error.h"
#include "support/test_support.h"

namespace emb {
namespace {

using nlohmann::json;

// TF-IDF values are float32 here and float64 in scikit-learn.
constexpr double kValueTolerance = 1e-6;

const json& oracle_cases() {
  static const json cases = [] {
    std::ifstream in(test::oracle_dir() / "text_sklearn" / "tfidf_cases.json");
    return in ? json::parse(in) : json();
  }();
  return cases;
}

const json& oracle_case(const std::string& name) {
  for (const auto& c : oracle_cases())
    if (c["name"] == name) return c;
  throw std::runtime_error("no oracle case " + name);
}

TfidfParams params_from(const json& options) {
  TfidfParams p;
  if (options.contains("lowercase")) p.lowercase = options["lowercase"];
  if (options.contains("sublinear_tf")) p.sublinear_tf = options["sublinear_tf"];
  if (options.contains("smooth_idf")) p.smooth_idf = options["smooth_idf"];
  if (options.contains("use_idf")) p.use_idf = options["use_idf"];
  if (options.contains("min_df")) p.min_df = options["min_df"].get<double>();
  if (options.contains("max_df")) p.max_df = options["max_df"].get<double>();
  if (options.contains("max_features")) p.max_features = options["max_features"].get<std::size_t>();
  return p;
}

void expect_matches(const SparseMatrix& ours, const json& theirs, const std::string& what) {
  const auto indptr = theirs["indptr"].get<std::vector<std::int64_t>>();
  const auto indices = theirs["indices"].get<std::vector<std::int32_t>>();
  const auto values = theirs["values"].get<std::vector<double>>();
  ASSERT_EQ(ours.indptr, indptr) << what;
  ASSERT_EQ(ours.indices, indices) << what;
  ASSERT_EQ(ours.values.size(), values.size()) << what;
  double worst = 0.0;
  for (std::size_t k = 0; k < values.size(); ++k) worst = std::max(worst, std::fabs(ours.values[k] - values[k]));
  EXPECT_LE(worst, kValueTolerance) << what;
}

class SklearnParity : public ::testing::TestWithParam<std::string> {};

TEST_P(SklearnParity, VocabularyIdfAndValuesMatch) {
  const auto path = test::oracle_dir() / "text_sklearn" / "tfidf_cases.json";
  EMB_REQUIRE_FIXTURE(path);
  const json& c = oracle_case(GetParam());
  TfidfVectorizer v(params_from(c["options"]));
  const SparseMatrix fitted = v.fit_transform(c["fit_texts"].get<std::vector<std::string>>());
  ASSERT_EQ(v.feature_names(), c["vocabulary"].get<std::vector<std::string>>());
  const auto idf = c["idf"].get<std::vector<double>>();
  ASSERT_EQ(v.idf().size(), idf.size());
  for (std::size_t i = 0; i < idf.size(); ++i) ASSERT_NEAR(v.idf()[i], idf[i], kValueTolerance) << i;
  EXPECT_EQ(fitted.rows, c["fit_texts"].size());
  EXPECT_EQ(fitted.cols, v.feature_names().size());
  expect_matches(fitted, c["fit_transform"], "fit_transform");
  const SparseMatrix transformed = v.transform(c["transform_texts"].get<std::vector<std::string>>());
  expect_matches(transformed, c["transform"], "transform");
}

INSTANTIATE_TEST_SUITE_P(Cases, SklearnParity,
                         ::testing::Values("imdb_default", "imdb_sublinear_raw_idf_bounds",
                                           "imdb_fraction_min_count_max", "imdb_max_features",
                                           "imdb_no_lowercase_no_idf", "unicode_default", "unicode_no_lowercase"));

// With a cut inside a group of equal corpus counts, scikit-learn's choice among
// the tied terms is unspecified; everything above the tie must agree.
TEST(Tfidf, MaxFeaturesCutInsideTiesKeepsEveryMoreFrequentTerm) {
  const auto path = test::oracle_dir() / "text_sklearn" / "tfidf_cases.json";
  EMB_REQUIRE_FIXTURE(path);
  const json& c = oracle_case("imdb_max_features_tied");
  const auto texts = c["fit_texts"].get<std::vector<std::string>>();
  std::map<std::string, long> corpus_count;
  for (const auto& t : texts)
    for (const auto& token : TfidfVectorizer::analyze(t)) ++corpus_count[token];
  TfidfVectorizer v(params_from(c["options"]));
  v.fit(texts);
  const auto theirs = c["vocabulary"].get<std::vector<std::string>>();
  ASSERT_EQ(v.feature_names().size(), theirs.size());
  long cut = std::numeric_limits<long>::max();
  for (const auto& t : theirs) cut = std::min(cut, corpus_count[t]);
  const std::set<std::string> ours(v.feature_names().begin(), v.feature_names().end());
  for (const auto& t : theirs) {
    if (corpus_count[t] > cut) {
      EXPECT_TRUE(ours.count(t)) << t;
    }
  }
  for (const auto& t : ours) EXPECT_GE(corpus_count[t], cut) << t;
  // Among equal counts ours keeps the alphabetically first.
  EXPECT_TRUE(std::is_sorted(v.feature_names().begin(), v.feature_names().end()));
}

TEST(Tfidf, AnalyzerFollowsPythonLowerAndWordPattern) {
  using V = std::vector<std::string>;
  EXPECT_EQ(TfidfVectorizer::analyze("Hello, WORLD! a I x2 don't"), (V{"hello", "world", "x2", "don"}));
  EXPECT_EQ(TfidfVectorizer::analyze("İstanbul"), (V{"stanbul"}));  // 'İ' lowers to i + U+0307, not a word char
  EXPECT_EQ(TfidfVectorizer::analyze("ΟΔΟΣ ΣΟΦΟΣ"), (V{"οδος", "σοφος"}));
  EXPECT_EQ(TfidfVectorizer::analyze("snake_case __ x_ ½½ 東京"), (V{"snake_case", "__", "x_", "½½", "東京"}));
  EXPECT_EQ(TfidfVectorizer::analyze("cafe\u0301 Straße"), (V{"cafe", "straße"}));
  EXPECT_EQ(TfidfVectorizer::analyze("Keep CASE", false), (V{"Keep", "CASE"}));
}

TEST(Tfidf, HandComputedSmallCorpus) {
  // n = 2 texts, smoothed idf: "aa" in both → ln(3/3) + 1 = 1; "bb" in one → ln(3/2) + 1.
  TfidfVectorizer v;
  const SparseMatrix m = v.fit_transform({"aa bb bb", "aa"});
  ASSERT_EQ(v.feature_names(), (std::vector<std::string>{"aa", "bb"}));
  const double idf_bb = std::log(1.5) + 1.0;
  EXPECT_NEAR(v.idf()[1], idf_bb, 1e-7);
  const double norm = std::sqrt(1.0 + 4.0 * idf_bb * idf_bb);
  EXPECT_EQ(m.indptr, (std::vector<std::int64_t>{0, 2, 3}));
  EXPECT_NEAR(m.values[0], 1.0 / norm, 1e-7);
  EXPECT_NEAR(m.values[1], 2.0 * idf_bb / norm, 1e-7);
  EXPECT_NEAR(m.values[2], 1.0, 1e-7);
  // Unknown words give an all-zero row, not NaN.
  const SparseMatrix unknown = v.transform({"zz yy"});
  EXPECT_EQ(unknown.rows, 1u);
  EXPECT_EQ(unknown.nnz(), 0u);
  EXPECT_EQ(v.transform({}).rows, 0u);
}

TEST(Tfidf, FromStateReproducesTransform) {
  TfidfParams p;
  p.sublinear_tf = true;
  TfidfVectorizer v(p);
  const std::vector<std::string> texts = {"the cat sat", "the dog sat down", "a cat and a dog"};
  v.fit(texts);
  const auto copy = TfidfVectorizer::from_state(p, v.feature_names(), v.idf());
  const SparseMatrix a = v.transform(texts), b = copy.transform(texts);
  EXPECT_EQ(a.indptr, b.indptr);
  EXPECT_EQ(a.indices, b.indices);
  EXPECT_EQ(a.values, b.values);
  EXPECT_THROW(TfidfVectorizer::from_state(p, {"b", "a"}, {1.0f, 1.0f}), InvalidArgument);
  EXPECT_THROW(TfidfVectorizer::from_state(p, {"a", "b"}, {1.0f}), InvalidArgument);
}

TEST(Tfidf, BadInputGetsClearErrors) {
  TfidfVectorizer v;
  EXPECT_THROW(v.transform({"text"}), NotFittedError);
  EXPECT_THROW(v.feature_names(), NotFittedError);
  EXPECT_THAT(test::message_of<Error>([&] { v.fit({}); }), ::testing::HasSubstr("texts is empty"));
  EXPECT_THAT(test::message_of<Error>([&] { v.fit({"fine text", "bad \xC3\x28 byte"}); }),
              ::testing::HasSubstr("texts[1] is not valid UTF-8 (invalid byte sequence at byte 4"));
  EXPECT_THAT(test::message_of<Error>([&] { v.fit({"a b", "c"}); }), ::testing::HasSubstr("empty vocabulary"));
  v.fit({"good words", "more words"});
  EXPECT_THAT(test::message_of<Error>([&] { v.transform({"ok", "ok", "\xFF"}); }), ::testing::HasSubstr("texts[2] is not valid UTF-8"));

  TfidfParams p;
  p.min_df = 2;
  EXPECT_THAT(test::message_of<Error>([&] { TfidfVectorizer(p).fit({"aa bb", "cc", "dd"}); }), ::testing::HasSubstr("no terms remain"));
  p.min_df = 0.9;
  p.max_df = 0.1;
  EXPECT_THAT(test::message_of<Error>([&] { TfidfVectorizer(p).fit({"aa bb", "aa"}); }), ::testing::HasSubstr("fewer than min_df"));
  p = {};
  p.min_df = 2.5;
  EXPECT_THROW(TfidfVectorizer{p}, InvalidArgument);
  p = {};
  p.max_df = -1;
  EXPECT_THROW(TfidfVectorizer{p}, InvalidArgument);
  p = {};
  p.max_features = 0;
  EXPECT_THROW(TfidfVectorizer{p}, InvalidArgument);
}

}  // namespace
}  // namespace emb
