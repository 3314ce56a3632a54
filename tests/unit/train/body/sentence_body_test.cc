// SentenceBody: forward equals inference (SentenceModel::embed), every
// gradient agrees with finite differences of forward, the parameter
// references point at the checkpoint's tensors, and caller mistakes are
// refused by name. The PyTorch comparison is tests/python/test_body_gradients.py.
#include "train/body/sentence_body.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "embetter/error.h"
#include "embetter/threads.h"
#include "encoders/sentence_model.h"
#include "io/safetensors.h"
#include "support/test_support.h"
#include "unit/encoders/sentence_golden.h"

namespace emb::train::body {
namespace {
namespace fs = std::filesystem;

fs::path fixture(const std::string& name) { return test::shared_dir() / "fixtures/sbert" / name; }

// The first texts of the fixture's goldens, cut to different lengths (the
// last token need not be [SEP]: any ids exercise the model).
std::vector<std::vector<std::int32_t>> sample_ids(const fs::path& folder, std::size_t count = 4) {
  const auto golden = test::read_golden(folder / "golden.jsonl");
  const std::size_t lengths[] = {19, 7, 26, 12, 3, 1};
  std::vector<std::vector<std::int32_t>> ids;
  for (std::size_t i = 0; i < count && i < golden.size(); ++i) {
    auto row = golden[i].input_ids;
    row.resize(std::min(row.size(), lengths[i % std::size(lengths)]));
    ids.push_back(std::move(row));
  }
  return ids;
}

std::vector<std::span<const std::int32_t>> views(const std::vector<std::vector<std::int32_t>>& ids) {
  return {ids.begin(), ids.end()};
}

Matrix random_matrix(std::size_t rows, std::size_t cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal;
  Matrix m(rows, cols);
  for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = normal(gen);
  return m;
}

// loss = Σ r ⊙ embeddings, in double.
double loss_of(const SentenceBody& body, const std::vector<std::vector<std::int32_t>>& ids, const Matrix& r,
               const Dropout* dropout) {
  SentenceBody::Tape tape;
  Matrix e;
  body.forward(views(ids), dropout, tape, e);
  double loss = 0.0;
  for (std::size_t i = 0; i < e.size(); ++i) loss += static_cast<double>(e.data()[i]) * r.data()[i];
  return loss;
}

fs::path copy_fixture(const std::string& name, const std::string& tag) {
  return test::writable_copy(fixture(name), name + "-" + tag);
}

// tiny-bert-cased-cls with a Dense (Tanh, 128 → 24) and a Normalize module
// after pooling, and its transformer in 0_Transformer/: the layout of hub
// models such as sentence-t5 or LaBSE.
fs::path dense_folder() {
  const fs::path dir = copy_fixture("tiny-bert-cased-cls", "dense");
  fs::create_directories(dir / "0_Transformer");
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                        "sentence_bert_config.json"})
    fs::rename(dir / f, dir / "0_Transformer" / f);
  fs::create_directories(dir / "2_Dense");
  std::ofstream(dir / "2_Dense/config.json")
      << R"({"in_features": 128, "out_features": 24, "bias": true,
             "activation_function": "torch.nn.modules.activation.Tanh"})";
  io::SafetensorsWriter w;
  Matrix weight = random_matrix(24, 128, 7);
  for (std::size_t i = 0; i < weight.size(); ++i) weight.data()[i] *= 0.2f;
  w.add("linear.weight", weight);
  const Matrix bias = random_matrix(1, 24, 8);
  w.add("linear.bias", {24}, {bias.data(), bias.size()});
  w.write(dir / "2_Dense/model.safetensors");
  std::ofstream(dir / "modules.json") << R"([
    {"idx": 0, "name": "0", "path": "0_Transformer", "type": "sentence_transformers.models.Transformer"},
    {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
    {"idx": 3, "name": "3", "path": "3_Normalize", "type": "sentence_transformers.models.Normalize"}])";
  return dir;
}

fs::path folder_of(const std::string& name) { return name == "dense" ? dense_folder() : fixture(name); }

class BodyFixture : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override { EMB_REQUIRE_FIXTURE(fixture(source()) / "golden.jsonl"); }
  std::string source() const { return GetParam() == std::string("dense") ? "tiny-bert-cased-cls" : GetParam(); }
};

TEST_P(BodyFixture, ForwardEqualsSentenceModel) {
  const fs::path folder = folder_of(GetParam());
  const auto body = SentenceBody::load(folder);
  const auto model = encoders::SentenceModel::load(folder);
  ASSERT_EQ(body.dim(), model.dim());
  EXPECT_EQ(body.max_seq_length(), model.max_seq_length());
  const auto ids = sample_ids(fixture(source()), 6);
  SentenceBody::Tape tape;
  Matrix e;
  body.forward(views(ids), nullptr, tape, e);
  ASSERT_EQ(e.rows(), ids.size());
  ASSERT_EQ(e.cols(), body.dim());
  EXPECT_EQ(tape.sequences(), ids.size());
  encoders::SentenceModel::Workspace ws;
  float worst = 0.0f;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    std::vector<float> want(model.dim());
    model.embed(ids[i], ws, want);
    for (std::size_t j = 0; j < want.size(); ++j) worst = std::max(worst, std::fabs(e(i, j) - want[j]));
  }
  EXPECT_LE(worst, 1e-5f) << GetParam();
}

// Every tensor's gradient against central differences of forward at its
// largest-gradient entry and at one other, with and without dropout.
// `step`: relative to the value. Max pooling needs small steps (a larger one
// moves some column's maximum to another token, where the loss has a kink);
// float32 rounding of the loss then weighs more, about 1e-5 / step.
void expect_gradients_match_differences(const fs::path& folder, const std::vector<std::vector<std::int32_t>>& ids,
                                        const Dropout* dropout, float relative_step) {
  auto body = SentenceBody::load(folder);
  const Matrix r = random_matrix(ids.size(), body.dim(), 3);
  SentenceBody::Tape tape;
  Matrix e;
  body.forward(views(ids), dropout, tape, e);
  body.backward(tape, r);
  std::mt19937 gen(11);
  std::size_t checked = 0;
  for (const auto& p : body.parameters()) {
    std::size_t top = 0;
    for (std::size_t k = 1; k < p.grad.size(); ++k)
      if (std::fabs(p.grad[k]) > std::fabs(p.grad[top])) top = k;
    const float scale = std::fabs(p.grad[top]);
    ASSERT_GT(scale, 0.0f) << p.name << " has no gradient at all";
    std::vector<std::size_t> picks{top, std::uniform_int_distribution<std::size_t>(0, p.grad.size() - 1)(gen)};
    for (std::size_t k : picks) {
      const float original = p.values[k];
      // Steps relative to the value: LayerNorm weights are near 1, the rest near 0.
      const float step = relative_step * std::max(1.0f, std::fabs(original));
      p.values[k] = original + step;
      const double up = loss_of(body, ids, r, dropout);
      p.values[k] = original - step;
      const double down = loss_of(body, ids, r, dropout);
      p.values[k] = original;
      const double numeric = (up - down) / (2.0 * static_cast<double>(step));
      // The key bias's exact gradient is 0 (softmax ignores a constant shift
      // of a query's scores): the absolute term covers the loss's rounding.
      EXPECT_NEAR(p.grad[k], numeric, 2e-2 * std::fabs(numeric) + 2e-3 * scale + 1e-5 / relative_step)
          << p.name << "[" << k << "] (largest |gradient| of the tensor " << scale << ")";
      ++checked;
    }
  }
  EXPECT_GT(checked, 20u);
}

float relative_step(const std::string& fixture_name) { return fixture_name == "tiny-bert-max" ? 1e-3f : 1e-2f; }

TEST_P(BodyFixture, GradientsMatchFiniteDifferences) {
  expect_gradients_match_differences(folder_of(GetParam()), sample_ids(fixture(source()), 3), nullptr,
                                     relative_step(GetParam()));
}

TEST_P(BodyFixture, GradientsWithDropoutMatchFiniteDifferencesOfTheSameMasks) {
  const Dropout dropout{0.1f, 0.1f, 1234};
  expect_gradients_match_differences(folder_of(GetParam()), sample_ids(fixture(source()), 3), &dropout,
                                     relative_step(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, BodyFixture,
                         ::testing::Values("tiny-bert", "tiny-bert-cased-cls", "tiny-bert-max", "tiny-mpnet",
                                           "tiny-roberta", "dense"),
                         test::FixtureParamName());

TEST(SentenceBody, ReferencesAddressTheCheckpointTensors) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-mpnet") / "model.safetensors");
  for (const char* name : {"tiny-bert", "tiny-mpnet", "dense"}) {
    const fs::path folder = folder_of(name);
    auto body = SentenceBody::load(folder);
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& p : body.parameters()) {
      EXPECT_TRUE(seen.insert({p.file, p.name}).second) << "twice: " << p.file << " " << p.name;
      const auto file = io::SafetensorsFile::open(folder / p.file);
      ASSERT_TRUE(file.contains(p.name)) << p.file << " has no " << p.name;
      EXPECT_EQ(file.info(p.name).shape, p.shape) << p.name;
      const auto stored = file.finite_floats(p.name);
      ASSERT_LE(p.offset + p.values.size(), stored.size()) << p.name;
      ASSERT_EQ(p.grad.size(), p.values.size()) << p.name;
      for (std::size_t k = 0; k < p.values.size(); ++k)
        ASSERT_EQ(p.values[k], stored[p.offset + k]) << p.name << "[" << k << "]";
      for (float g : p.grad) ASSERT_EQ(g, 0.0f) << p.name << ": gradients start at zero";
    }
  }
}

TEST(SentenceBody, ReferenceNamesFilesAndDecayFollowTheCheckpointAndTrainer) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-bert-cased-cls") / "model.safetensors");
  const fs::path folder = dense_folder();
  auto body = SentenceBody::load(folder);
  std::map<std::string, const ParameterRef*> by_name;
  const auto refs = body.parameters();
  for (const auto& p : refs) by_name[p.name] = &p;
  const auto& type = *by_name.at("embeddings.token_type_embeddings.weight");
  EXPECT_EQ(type.shape, (std::vector<std::int64_t>{2, 128}));
  EXPECT_EQ(type.values.size(), 128u);
  EXPECT_TRUE(type.decay);
  EXPECT_EQ(type.file, "0_Transformer/model.safetensors");
  EXPECT_TRUE(by_name.at("embeddings.word_embeddings.weight")->decay);
  EXPECT_TRUE(by_name.at("encoder.layer.1.attention.self.key.weight")->decay);
  EXPECT_FALSE(by_name.at("encoder.layer.1.attention.self.key.bias")->decay);
  EXPECT_FALSE(by_name.at("encoder.layer.0.output.LayerNorm.weight")->decay);
  EXPECT_FALSE(by_name.at("embeddings.LayerNorm.weight")->decay);
  EXPECT_EQ(by_name.at("linear.weight")->file, "2_Dense/model.safetensors");
  EXPECT_TRUE(by_name.at("linear.weight")->decay);
  EXPECT_FALSE(by_name.at("linear.bias")->decay);
  // Every tensor of the transformer's file but the unused pooler is trained.
  const auto file = io::SafetensorsFile::open(folder / "0_Transformer/model.safetensors");
  std::size_t transformer_refs = 0;
  for (const auto& p : refs) transformer_refs += p.file == "0_Transformer/model.safetensors";
  std::size_t stored = 0;
  for (const auto& n : file.names()) stored += n.find("pooler") == std::string::npos;
  EXPECT_EQ(transformer_refs, stored);
}

// A checkpoint saved from BertForMaskedLM ("bert." before every name) with
// TensorFlow's LayerNorm names (gamma, beta): the references carry the
// names as the file has them.
TEST(SentenceBody, ReferencesKeepTheCheckpointsPrefixAndLayerNormNames) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-bert") / "golden.jsonl");
  const fs::path dir = copy_fixture("tiny-bert", "prefixed");
  {
    const auto original = io::SafetensorsFile::open(fixture("tiny-bert") / "model.safetensors");
    io::SafetensorsWriter w;
    for (const auto& name : original.names()) {
      std::string renamed = "bert." + name;
      for (const auto& [from, to] :
           {std::pair{"LayerNorm.weight", "LayerNorm.gamma"}, {"LayerNorm.bias", "LayerNorm.beta"}})
        if (renamed.ends_with(from)) renamed = renamed.substr(0, renamed.size() - std::string(from).size()) + to;
      const auto values = original.floats(name);
      w.add(renamed, original.info(name).shape, values);
    }
    w.write(dir / "model.safetensors");
  }
  auto body = SentenceBody::load(dir);
  const auto file = io::SafetensorsFile::open(dir / "model.safetensors");
  std::size_t gammas = 0;
  for (const auto& p : body.parameters()) {
    EXPECT_TRUE(p.name.starts_with("bert.")) << p.name;
    EXPECT_TRUE(file.contains(p.name)) << p.name;
    if (p.name.ends_with(".gamma")) {
      ++gammas;
      EXPECT_FALSE(p.decay) << p.name;
    }
  }
  EXPECT_EQ(gammas, 5u);   // the embeddings' and two per layer
  const auto ids = sample_ids(fixture("tiny-bert"));
  SentenceBody::Tape tape;
  Matrix prefixed, plain;
  body.forward(views(ids), nullptr, tape, prefixed);
  SentenceBody::load(fixture("tiny-bert")).forward(views(ids), nullptr, tape, plain);
  EXPECT_EQ(prefixed, plain);
}

TEST(SentenceBody, MpnetRelativeBiasIsOneTensorWithoutDecay) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-mpnet") / "model.safetensors");
  auto body = SentenceBody::load(fixture("tiny-mpnet"));
  std::size_t found = 0;
  for (const auto& p : body.parameters())
    if (p.name.find("relative_attention_bias") != std::string::npos) {
      ++found;
      EXPECT_EQ(p.shape, (std::vector<std::int64_t>{32, 4}));
      EXPECT_FALSE(p.decay) << "transformers' Trainer exempts every name containing 'bias'";
    }
  EXPECT_EQ(found, 1u);
}

TEST(SentenceBody, DropoutChangesTheEmbeddingsReproduciblyBySeed) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-bert") / "golden.jsonl");
  const auto body = SentenceBody::load(fixture("tiny-bert"));
  EXPECT_FLOAT_EQ(body.hidden_dropout(), 0.1f);
  EXPECT_FLOAT_EQ(body.attention_dropout(), 0.1f);
  const auto ids = sample_ids(fixture("tiny-bert"));
  SentenceBody::Tape tape;
  Matrix off, a, b, c, zero;
  body.forward(views(ids), nullptr, tape, off);
  const Dropout d1{0.1f, 0.1f, 5}, d2{0.1f, 0.1f, 6}, none{0.f, 0.f, 5};
  body.forward(views(ids), &d1, tape, a);
  body.forward(views(ids), &d1, tape, b);
  body.forward(views(ids), &d2, tape, c);
  body.forward(views(ids), &none, tape, zero);
  EXPECT_EQ(a, b);
  EXPECT_GT(test::max_abs_diff(a, off), 1e-3f);
  EXPECT_GT(test::max_abs_diff(a, c), 1e-3f);
  EXPECT_EQ(zero, off);
}

TEST(SentenceBody, DropoutOfOneDropsEverythingWithoutNaN) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-roberta") / "golden.jsonl");
  auto body = SentenceBody::load(fixture("tiny-roberta"));
  const auto ids = sample_ids(fixture("tiny-roberta"));
  const Dropout all{1.0f, 1.0f, 3};
  SentenceBody::Tape tape;
  Matrix e;
  body.forward(views(ids), &all, tape, e);
  EXPECT_TRUE(e.all_finite());
  body.backward(tape, random_matrix(e.rows(), e.cols(), 1));
  for (const auto& p : body.parameters())
    for (float g : p.grad) ASSERT_TRUE(std::isfinite(g)) << p.name;
}

TEST(SentenceBody, DropoutProbabilitiesComeFromConfigJson) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-bert") / "model.safetensors");
  const fs::path dir = copy_fixture("tiny-bert", "dropout");
  nlohmann::json config;
  std::ifstream(dir / "config.json") >> config;
  config["hidden_dropout_prob"] = 0.25;
  config["attention_probs_dropout_prob"] = 0.0;
  std::ofstream(dir / "config.json") << config.dump();
  const auto body = SentenceBody::load(dir);
  EXPECT_FLOAT_EQ(body.hidden_dropout(), 0.25f);
  EXPECT_FLOAT_EQ(body.attention_dropout(), 0.0f);
  config["hidden_dropout_prob"] = 1.5;
  std::ofstream(dir / "config.json") << config.dump();
  EMB_EXPECT_THROW_WITH(SentenceBody::load(dir), ModelLoadError,
                        "config.json: hidden_dropout_prob 1.5 is not a dropout probability in [0, 1]");
}

TEST(SentenceBody, ResultsDoNotDependOnTheThreadCount) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-mpnet") / "golden.jsonl");
  const auto ids = sample_ids(fixture("tiny-mpnet"), 6);
  const Dropout dropout{0.1f, 0.1f, 9};
  std::vector<std::vector<float>> grads[2];
  Matrix embeddings[2];
  const int before = num_threads();
  for (int run = 0; run < 2; ++run) {
    set_num_threads(run == 0 ? 1 : 3);
    auto body = SentenceBody::load(fixture("tiny-mpnet"));
    SentenceBody::Tape tape;
    body.forward(views(ids), &dropout, tape, embeddings[run]);
    body.backward(tape, random_matrix(ids.size(), body.dim(), 4));
    for (const auto& p : body.parameters()) grads[run].emplace_back(p.grad.begin(), p.grad.end());
  }
  set_num_threads(before);
  EXPECT_LE(test::max_abs_diff(embeddings[0], embeddings[1]), 1e-6f);
  ASSERT_EQ(grads[0].size(), grads[1].size());
  for (std::size_t t = 0; t < grads[0].size(); ++t)
    for (std::size_t k = 0; k < grads[0][t].size(); ++k)
      ASSERT_NEAR(grads[0][t][k], grads[1][t][k], 1e-5f * (1.0f + std::fabs(grads[0][t][k]))) << t << "[" << k << "]";
}

TEST(SentenceBody, BackwardAddsAndZeroGradClears) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-roberta") / "golden.jsonl");
  auto body = SentenceBody::load(fixture("tiny-roberta"));
  const auto ids = sample_ids(fixture("tiny-roberta"));
  SentenceBody::Tape tape;
  Matrix e;
  body.forward(views(ids), nullptr, tape, e);
  const Matrix r = random_matrix(e.rows(), e.cols(), 2);
  body.backward(tape, r);
  std::vector<float> once;
  for (const auto& p : body.parameters()) once.insert(once.end(), p.grad.begin(), p.grad.end());
  body.backward(tape, r);   // the tape stays valid: the same gradients again
  std::size_t i = 0;
  for (const auto& p : body.parameters())
    for (float g : p.grad) {
      ASSERT_NEAR(g, 2.0f * once[i], 1e-6f * (1.0f + std::fabs(g)));
      ++i;
    }
  body.zero_grad();
  for (const auto& p : body.parameters())
    for (float g : p.grad) ASSERT_EQ(g, 0.0f) << p.name;
}

TEST(SentenceBodyErrors, CallerMistakesAreNamed) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-bert") / "model.safetensors");
  auto body = SentenceBody::load(fixture("tiny-bert"));
  SentenceBody::Tape tape;
  Matrix out;
  const std::vector<std::int32_t> good{2, 125, 3}, empty, out_of_range{2, 8000, 3};
  std::vector<std::int32_t> too_long(513, 5);
  auto forward = [&](std::vector<std::span<const std::int32_t>> seqs, const Dropout* d = nullptr) {
    body.forward(seqs, d, tape, out);
  };
  EMB_EXPECT_THROW_WITH(forward({}), InvalidArgument, "no sequences");
  EMB_EXPECT_THROW_WITH(forward({good, empty}), InvalidArgument, "sequence 1 is empty");
  EMB_EXPECT_THROW_WITH(forward({out_of_range}), InvalidArgument,
                        "token id 8000 at position 1 of sequence 0 is outside the vocabulary of 8000");
  EMB_EXPECT_THROW_WITH(forward({too_long}), InvalidArgument, "513 tokens, more than the model's 512 positions");
  const Dropout bad{1.5f, 0.f, 0}, negative{0.f, -0.1f, 0};
  EMB_EXPECT_THROW_WITH(forward({good}, &bad), InvalidArgument, "hidden dropout 1.5 is not a probability in [0, 1]");
  EMB_EXPECT_THROW_WITH(forward({good}, &negative), InvalidArgument,
                        "attention dropout -0.1 is not a probability in [0, 1]");
  EMB_EXPECT_THROW_WITH(body.backward(tape, Matrix(1, body.dim())), InvalidArgument,
                        "the tape holds no forward pass of this model");
  forward({good, good});
  EMB_EXPECT_THROW_WITH(body.backward(tape, Matrix(1, body.dim())), InvalidArgument,
                        "d_embeddings is 1x128, expected 2x128");
  EMB_EXPECT_THROW_WITH(body.backward(tape, Matrix(2, 3)), InvalidArgument, "d_embeddings is 2x3, expected 2x128");
}

}  // namespace
}  // namespace emb::train::body
