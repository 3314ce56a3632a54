// LiteTextEncoder: parity of its parts with the original embetter / scikit-learn,
// usefulness of the embedding, determinism, persistence and bad input.
#include "embetter/lite_text_encoder.h"

#include <gmock/gmock.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "embetter/error.h"
#include "io/safetensors.h"
#include "support/test_support.h"

namespace emb {
namespace {

using nlohmann::json;

struct Reviews {
  std::vector<std::string> texts, labels;
};

Reviews read_imdb(std::size_t n) {
  std::ifstream in(test::shared_dir() / "data" / "imdb-5000.jsonl");
  Reviews r;
  std::string line;
  while (r.texts.size() < n && std::getline(in, line)) {
    const json j = json::parse(line);
    r.texts.push_back(j["text"]);
    r.labels.push_back(j["label"]);
  }
  return r;
}

LiteTextEncoderParams seeded(int dim, std::uint64_t seed = 0) {
  LiteTextEncoderParams p;
  p.dim = dim;
  p.random_state = seed;
  return p;
}

double dot(std::span<const float> a, std::span<const float> b) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

TEST(LiteTextEncoder, IdfAndLeadingComponentsMatchTheOriginal) {
  const auto path = test::oracle_dir() / "text_lite" / "lite_case.json";
  EMB_REQUIRE_FIXTURE(path);
  std::ifstream in(path);
  const json golden = json::parse(in);
  const Reviews imdb = read_imdb(golden["n_texts"]);
  LiteTextEncoder enc(seeded(golden["dim"]));
  enc.fit(imdb.texts);

  // float16 idf: the same values as the original's idf_.astype("float16").
  const auto idf = golden["idf"].get<std::vector<double>>();
  ASSERT_EQ(enc.vectorizer().idf().size(), idf.size());
  for (std::size_t i = 0; i < idf.size(); ++i) ASSERT_EQ(enc.vectorizer().idf()[i], idf[i]) << i;

  // Randomized SVDs with different random streams agree on the well-separated
  // leading directions (up to float16 rounding), not on the tail.
  const auto theirs = golden["components"].get<std::vector<std::vector<float>>>();
  const Matrix& ours = enc.components();
  ASSERT_EQ(ours.rows(), theirs.size());
  for (std::size_t k = 0; k < 5; ++k) {
    const double cosine = dot(ours.row(k), theirs[k]) / std::sqrt(dot(ours.row(k), ours.row(k)) * dot(theirs[k], theirs[k]));
    EXPECT_GT(cosine, 0.99) << "component " << k;  // same sign too: both use svd_flip(u_based_decision=False)
  }
}

// Nearest neighbours in the embedding predict the sentiment of held-out reviews
// clearly better than chance (the classes are balanced: chance is ~50%).
TEST(LiteTextEncoder, EmbeddingCarriesSentiment) {
  EMB_REQUIRE_FIXTURE(test::shared_dir() / "data" / "imdb-5000.jsonl");
  const Reviews imdb = read_imdb(1000);
  LiteTextEncoder enc(seeded(100));
  const Matrix x = enc.fit_transform(imdb.texts);
  ASSERT_EQ(x.rows(), 1000u);
  ASSERT_EQ(x.cols(), 100u);
  ASSERT_TRUE(x.all_finite());
  const std::size_t n_train = 800, k = 25;
  std::vector<double> norm(x.rows());
  for (std::size_t i = 0; i < x.rows(); ++i) norm[i] = std::sqrt(dot(x.row(i), x.row(i))) + 1e-12;
  int correct = 0;
  for (std::size_t i = n_train; i < x.rows(); ++i) {
    std::vector<std::pair<double, std::size_t>> sims;
    for (std::size_t j = 0; j < n_train; ++j) sims.emplace_back(-dot(x.row(i), x.row(j)) / (norm[i] * norm[j]), j);
    std::partial_sort(sims.begin(), sims.begin() + k, sims.end());
    int pos = 0;
    for (std::size_t t = 0; t < k; ++t) pos += imdb.labels[sims[t].second] == "pos";
    correct += (2 * pos > static_cast<int>(k) ? "pos" : "neg") == imdb.labels[i];
  }
  const double accuracy = correct / static_cast<double>(x.rows() - n_train);
  RecordProperty("knn_accuracy", std::to_string(accuracy));
  EXPECT_GT(accuracy, 0.65);
}

const std::vector<std::string>& small_corpus() {
  static const std::vector<std::string> texts = {
      "the cat sat on the mat",       "the dog sat on the log",    "cats and dogs are pets",
      "a stock market crash",         "markets rallied on news",   "the central bank raised rates",
      "pets need food and care",      "bank shares fell sharply",  "my dog chased the cat",
      "interest rates and inflation", "Über naïve café résumé",    "東京 北京 서울 cats",
  };
  return texts;
}

TEST(LiteTextEncoder, SameSeedSameResultBitwise) {
  LiteTextEncoder a(seeded(5, 7)), b(seeded(5, 7));
  const Matrix xa = a.fit_transform(small_corpus());
  const Matrix xb = b.fit_transform(small_corpus());
  EXPECT_EQ(a.components(), b.components());
  EXPECT_EQ(xa, xb);
  EXPECT_EQ(xa.rows(), small_corpus().size());
  EXPECT_EQ(xa.cols(), 5u);
}

TEST(LiteTextEncoder, LiteRoundsIdfAndComponentsToFloat16) {
  LiteTextEncoder lite(seeded(4)), full(seeded(4));
  LiteTextEncoderParams p = seeded(4);
  p.lite = false;
  full = LiteTextEncoder(p);
  lite.fit(small_corpus());
  full.fit(small_corpus());
  bool some_differ = false;
  for (std::size_t i = 0; i < full.vectorizer().idf().size(); ++i) {
    const float f = full.vectorizer().idf()[i], l = lite.vectorizer().idf()[i];
    EXPECT_LE(std::fabs(f - l), std::ldexp(std::fabs(f), -11)) << i;  // half precision: 11 significant bits
    some_differ |= f != l;
  }
  EXPECT_TRUE(some_differ);
  // The SVD is fitted before rounding, so the components differ only by rounding.
  for (std::size_t i = 0; i < full.components().size(); ++i) {
    const float f = full.components().data()[i], l = lite.components().data()[i];
    ASSERT_LE(std::fabs(f - l), std::ldexp(std::fabs(f), -11) + 1e-7f) << i;
  }
}

TEST(LiteTextEncoder, SaveLoadAndBytesReproduceTransformBitwise) {
  LiteTextEncoderParams p = seeded(6, 3);
  p.tfidf.sublinear_tf = true;
  LiteTextEncoder enc(p);
  enc.fit(small_corpus());
  const std::vector<std::string> probe = {"a cat in the bank", "unseen words", "café rates"};
  const Matrix expected = enc.transform(probe);

  const auto path = test::temp_dir() / "lite.safetensors";
  enc.save(path);
  const LiteTextEncoder loaded = LiteTextEncoder::load(path);
  EXPECT_EQ(loaded.transform(probe), expected);
  EXPECT_EQ(loaded.params().dim, 6);
  EXPECT_TRUE(loaded.params().tfidf.sublinear_tf);
  EXPECT_EQ(loaded.params().random_state, p.random_state);
  EXPECT_EQ(loaded.vectorizer().feature_names(), enc.vectorizer().feature_names());

  const LiteTextEncoder copy = LiteTextEncoder::from_bytes(enc.to_bytes());
  EXPECT_EQ(copy.transform(probe), expected);

  const auto file = io::SafetensorsFile::open(path);
  EXPECT_EQ(file.metadata().at("embetter.model"), "LiteTextEncoder");
  EXPECT_EQ(file.info("components").shape, (std::vector<std::int64_t>{6, static_cast<std::int64_t>(enc.vectorizer().feature_names().size())}));
}

TEST(LiteTextEncoder, BadInputGetsClearErrors) {
  LiteTextEncoder enc(seeded(3));
  EXPECT_THROW(enc.transform({"text"}), NotFittedError);
  EXPECT_THROW(enc.save(test::temp_dir() / "never.safetensors"), NotFittedError);
  EXPECT_FALSE(std::filesystem::exists(test::temp_dir() / "never.safetensors"));
  EXPECT_THAT(test::message_of<Error>([&] { enc.fit({}); }), ::testing::HasSubstr("texts is empty"));
  EXPECT_THAT(test::message_of<Error>([&] { enc.fit({"ok text", "\xC0\xAF"}); }), ::testing::HasSubstr("texts[1] is not valid UTF-8"));
  EXPECT_THAT(test::message_of<Error>([&] { LiteTextEncoder(seeded(10)).fit(std::vector<std::string>(11, "aa bb cc")); }),
              ::testing::HasSubstr("expected dim <= vocabulary size"));
  EXPECT_THAT(test::message_of<Error>([&] { LiteTextEncoder(seeded(13)).fit(small_corpus()); }),
              ::testing::HasSubstr("expected dim <= number of texts"));
  EXPECT_THROW(LiteTextEncoder(seeded(0)), InvalidArgument);
  enc.fit(small_corpus());
  EXPECT_THAT(test::message_of<Error>([&] { enc.transform({}); }), ::testing::HasSubstr("texts is empty"));

  // Files that are not LiteTextEncoder files, or are damaged.
  io::SafetensorsWriter other;
  other.set_metadata("embetter.model", "FeedForwardTuner");
  other.add("w", Matrix(2, 2));
  const auto other_path = test::temp_dir() / "other.safetensors";
  other.write(other_path);
  EXPECT_THAT(test::message_of<Error>([&] { LiteTextEncoder::load(other_path); }), ::testing::HasSubstr("not a LiteTextEncoder"));
  std::string bytes = enc.to_bytes();
  EXPECT_THROW(LiteTextEncoder::from_bytes(bytes.substr(0, bytes.size() - 4)), ModelLoadError);
  EXPECT_THROW(LiteTextEncoder::load(test::temp_dir() / "missing.safetensors"), ModelLoadError);
}

// fit reports the TF-IDF count every 1024 texts and each power iteration of
// the SVD; a stop there throws Interrupted and leaves the encoder as it was.
// transform reports every 1024 texts counted and rows projected.
TEST(LiteTextEncoder, ProgressAndStoppingLeaveTheEncoderAsItWas) {
  EMB_REQUIRE_FIXTURE(test::shared_dir() / "data" / "imdb-5000.jsonl");
  const Reviews r = read_imdb(2100);
  LiteTextEncoder enc(seeded(20));
  std::vector<std::pair<std::size_t, std::size_t>> reports;
  enc.fit(r.texts, [&](std::size_t done, std::size_t total) {
    reports.emplace_back(done, total);
    return true;
  });
  const std::vector<std::pair<std::size_t, std::size_t>> fit_reports = {
      {1024, 2100}, {2048, 2100}, {1, 5}, {2, 5}, {3, 5}, {4, 5}, {5, 5}};  // sklearn's n_iter=5
  EXPECT_EQ(reports, fit_reports);
  const std::vector<std::string> some(r.texts.begin(), r.texts.begin() + 3);
  const Matrix before = enc.transform(some);

  for (std::size_t stop_at : {1u, 3u}) {  // during the TF-IDF count, during the SVD
    std::size_t calls = 0;
    EXPECT_THROW(enc.fit(std::vector<std::string>(r.texts.begin() + 100, r.texts.end()),
                         [&](std::size_t, std::size_t) { return ++calls < stop_at; }),
                 Interrupted);
    EXPECT_EQ(enc.transform(some), before) << "stopped at report " << stop_at;
  }

  reports.clear();
  EXPECT_EQ(enc.transform(r.texts, [&](std::size_t done, std::size_t total) {
              reports.emplace_back(done, total);
              return true;
            }),
            enc.transform(r.texts));
  const std::vector<std::pair<std::size_t, std::size_t>> transform_reports = {
      {1024, 2100}, {2048, 2100}, {1024, 2100}, {2048, 2100}};
  EXPECT_EQ(reports, transform_reports);
  LiteTextEncoder unfitted(seeded(20));
  EXPECT_THROW(unfitted.fit(r.texts, [](std::size_t, std::size_t) { return false; }), Interrupted);
  EXPECT_FALSE(unfitted.fitted());
}

}  // namespace
}  // namespace emb
