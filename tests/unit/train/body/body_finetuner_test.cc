// BodyFinetuner: input checks, interruption, saving, and that training moves
// the embeddings the way the labels ask. Parity with PyTorch is in
// tests/python/test_body_training.py.
#include "embetter/body_finetuner.h"

#include <cmath>
#include <string>
#include <vector>

#include "embetter/error.h"
#include "embetter/sentence_encoder.h"
#include "support/test_support.h"

namespace emb {
namespace {

std::filesystem::path tiny_bert() { return test::shared_dir() / "fixtures/sbert/tiny-bert"; }

// Two themes: pairs within a theme are similar (1), across themes not (0).
struct Pairs {
  std::vector<std::string> first, second;
  std::vector<float> labels;
};
Pairs theme_pairs() {
  const std::vector<std::string> animals = {"the cat sleeps", "a dog barks", "the horse runs", "birds sing"};
  const std::vector<std::string> money = {"the bank lends", "stocks fall", "prices rise", "taxes are due"};
  Pairs p;
  for (std::size_t i = 0; i < animals.size(); ++i)
    for (std::size_t j = 0; j < animals.size(); ++j) {
      if (i == j) continue;
      p.first.push_back(animals[i]);
      p.second.push_back(animals[j]);
      p.labels.push_back(1);
      p.first.push_back(money[i]);
      p.second.push_back(money[j]);
      p.labels.push_back(1);
      p.first.push_back(animals[i]);
      p.second.push_back(money[j]);
      p.labels.push_back(0);
    }
  return p;
}

float cosine(const Matrix& m, std::size_t a, std::size_t b) {
  double dot = 0, na = 0, nb = 0;
  for (std::size_t j = 0; j < m.cols(); ++j) {
    dot += double(m(a, j)) * m(b, j);
    na += double(m(a, j)) * m(a, j);
    nb += double(m(b, j)) * m(b, j);
  }
  return static_cast<float>(dot / std::sqrt(na * nb));
}

BodyTrainingOptions quick(int epochs = 1) {
  BodyTrainingOptions o;
  o.batch_size = 8;
  o.epochs = epochs;
  o.warmup_steps = 2;
  o.learning_rate = 1e-3f;
  o.random_state = 7;
  return o;
}

TEST(BodyFinetuner, RejectsBadPairs) {
  EMB_REQUIRE_FIXTURE(tiny_bert());
  auto f = BodyFinetuner::load(tiny_bert().string());
  const std::vector<std::string> two = {"a", "b"}, one = {"a"};
  const std::vector<float> ok = {1, 0};
  EMB_EXPECT_THROW_WITH(f.fit(two, one, ok, quick()), InvalidArgument, "2 first texts but 1 second");
  EMB_EXPECT_THROW_WITH(f.fit({}, {}, {}, quick()), InvalidArgument, "no pairs");
  EMB_EXPECT_THROW_WITH(f.fit(two, {"x", ""}, ok, quick()), InvalidArgument, "second text 1 is empty");
  const std::vector<float> high = {1, 1.5f};
  EMB_EXPECT_THROW_WITH(f.fit(two, two, high, quick()), InvalidArgument, "label 1 is 1.5");
  const std::vector<float> nan = {NAN, 0};
  EMB_EXPECT_THROW_WITH(f.fit(two, two, nan, quick()), InvalidArgument, "label 0 is nan");
  const std::vector<float> half = {0.5f, 1};
  auto contrastive = quick();
  contrastive.loss = PairLoss::Contrastive;
  EMB_EXPECT_THROW_WITH(f.fit(two, two, half, contrastive), InvalidArgument, "needs 0 or 1");
  EMB_EXPECT_THROW_WITH(f.fit(two, two, std::vector<float>{1}, quick()), InvalidArgument, "1 labels for 2 pairs");
  auto bad = quick();
  bad.batch_size = 0;
  EMB_EXPECT_THROW_WITH(f.fit(two, two, ok, bad), InvalidArgument, "batch_size must be positive");
  EMB_EXPECT_THROW_WITH(parse_pair_loss("hinge", "loss"), InvalidArgument, "expected 'cosine', 'contrastive' or 'mnrl'");
  EXPECT_EQ(f.steps(), 0) << "a refused fit takes no step";
}

TEST(BodyFinetuner, TrainingPullsSimilarPairsTogether) {
  EMB_REQUIRE_FIXTURE(tiny_bert());
  auto f = BodyFinetuner::load(tiny_bert().string());
  const auto p = theme_pairs();
  const std::vector<std::string> probe = {"the cat sleeps", "a dog barks", "the bank lends", "stocks fall"};
  const Matrix before = f.encode(probe);
  const auto losses = f.fit(p.first, p.second, p.labels, quick(4));
  ASSERT_EQ(losses.size(), 4u * 5u);   // 36 pairs in batches of 8, 4 epochs
  const Matrix after = f.encode(probe);
  const float gap_before = cosine(before, 0, 1) - cosine(before, 0, 2);
  const float gap_after = cosine(after, 0, 1) - cosine(after, 0, 2);
  EXPECT_GT(gap_after, gap_before + 0.05f) << "within-theme minus across-theme cosine should grow";
  EXPECT_LT(losses.back(), losses.front());
  EXPECT_EQ(f.steps(), 20);
}

TEST(BodyFinetuner, SameSeedSameModel) {
  EMB_REQUIRE_FIXTURE(tiny_bert());
  const auto p = theme_pairs();
  auto a = BodyFinetuner::load(tiny_bert().string()), b = BodyFinetuner::load(tiny_bert().string());
  a.fit(p.first, p.second, p.labels, quick(2));
  b.fit(p.first, p.second, p.labels, quick(2));
  EXPECT_EQ(test::max_abs_diff(a.encode({"the cat sleeps"}), b.encode({"the cat sleeps"})), 0.0f);
}

TEST(BodyFinetuner, InterruptKeepsTheWeightsBeforeTheEpoch) {
  EMB_REQUIRE_FIXTURE(tiny_bert());
  const auto p = theme_pairs();
  const std::vector<std::string> probe = {"the cat sleeps", "taxes are due"};
  // The embeddings after the first of two epochs (5 steps each), uninterrupted.
  auto full = BodyFinetuner::load(tiny_bert().string());
  Matrix after_first;
  auto o = quick(2);
  o.progress = [&](std::size_t done, std::size_t) {
    if (done == 5) after_first = full.encode(probe);
    return true;
  };
  full.fit(p.first, p.second, p.labels, o);
  ASSERT_EQ(after_first.rows(), probe.size());

  auto stopped = BodyFinetuner::load(tiny_bert().string());
  o.progress = [](std::size_t done, std::size_t) { return done < 7; };   // stops two steps into the second epoch
  EXPECT_THROW(stopped.fit(p.first, p.second, p.labels, o), Interrupted);
  EXPECT_EQ(test::max_abs_diff(stopped.encode(probe), after_first), 0.0f)
      << "the weights after the first epoch, untouched by the two steps of the second";
}

TEST(BodyFinetuner, SavedFolderLoadsAsASentenceEncoder) {
  EMB_REQUIRE_FIXTURE(tiny_bert());
  const auto p = theme_pairs();
  auto f = BodyFinetuner::load(tiny_bert().string());
  f.fit(p.first, p.second, p.labels, quick(1));
  const auto out = test::temp_dir() / "finetuned";
  f.save(out);
  const std::vector<std::string> probe = {"the cat sleeps", "prices rise", "an unseen sentence"};
  const auto saved = SentenceEncoder::load(out.string());
  EXPECT_LT(test::max_abs_diff(saved.encode(probe), f.encode(probe)), 1e-5f);
  const auto original = SentenceEncoder::load(tiny_bert().string());
  EXPECT_GT(test::max_abs_diff(saved.encode(probe), original.encode(probe)), 1e-4f) << "training changed nothing";
}

TEST(BodyFinetuner, LabelPairsGiveEachTextAPositiveAndANegative) {
  const std::vector<std::string> labels = {"pos", "neg", "pos", "neg", "pos"};
  const auto pairs = label_pairs(labels, 3, 11);
  ASSERT_EQ(pairs.size(), 3u * 2u * labels.size());
  for (const auto& pr : pairs) {
    ASSERT_LT(pr.first, labels.size());
    ASSERT_LT(pr.second, labels.size());
    EXPECT_EQ(pr.label, labels[pr.first] == labels[pr.second] ? 1.0f : 0.0f);
  }
  EMB_EXPECT_THROW_WITH(label_pairs({"a", "a"}, 1, 1), InvalidArgument, "");
  EMB_EXPECT_THROW_WITH(label_pairs(labels, 0, 1), InvalidArgument, "iterations must be positive");
}

}  // namespace
}  // namespace emb
