// TextEncoder against model2vec's StaticModel on small models saved in
// model2vec's own format (tests/oracles/model2vec_oracle.py): WordPiece and
// byte-level BPE tokenizers, normalisation, truncation, vocabulary quantization
// and float16 tables.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "embetter/error.h"
#include "embetter/static_encoders.h"
#include "support/test_support.h"
#include "../hub/fake_hub.h"

namespace emb {
namespace {
namespace fs = std::filesystem;
using Json = nlohmann::json;

fs::path oracle() { return test::oracle_dir() / "model2vec"; }

class TextEncoderTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    EMB_REQUIRE_FIXTURE(oracle() / "model2vec.json");
    std::ifstream in(oracle() / "model2vec.json");
    golden_ = Json::parse(in);
    texts_ = golden_["texts"].get<std::vector<std::string>>();
  }
  const Json& model() const { return golden_["models"][GetParam()]; }
  Json golden_;
  std::vector<std::string> texts_;
};

TEST_P(TextEncoderTest, SettingsComeFromConfigJson) {
  const TextEncoder enc = TextEncoder::load((oracle() / "models" / GetParam()).string());
  EXPECT_EQ(enc.normalize(), model()["normalize"].get<bool>());
  EXPECT_EQ(enc.max_length(), model()["max_length"].is_null() ? 0u : model()["max_length"].get<std::size_t>());
  EXPECT_EQ(enc.dim(), 16u);
}

TEST_P(TextEncoderTest, TokenIdsMatchModel2Vec) {
  const TextEncoder enc = TextEncoder::load((oracle() / "models" / GetParam()).string());
  for (std::size_t i = 0; i < texts_.size(); ++i)
    EXPECT_EQ(enc.token_ids(texts_[i]), model()["ids"][i].get<std::vector<std::int32_t>>()) << "text " << i;
}

TEST_P(TextEncoderTest, EmbeddingsMatchModel2Vec) {
  const TextEncoder enc = TextEncoder::load((oracle() / "models" / GetParam()).string());
  const Matrix got = enc.encode(texts_);
  ASSERT_EQ(got.rows(), texts_.size());
  // model2vec computes in the table's dtype: float16 tables give float16 results
  // (3 significant digits); we keep float32.
  const bool half = GetParam() == "float16";
  const float tol = half ? 2e-3f : 1e-5f;
  for (std::size_t i = 0; i < texts_.size(); ++i) {
    for (std::size_t j = 0; j < 16; ++j) {
      const float want = model()["embeddings"][i][j].get<float>();
      ASSERT_NEAR(got(i, j), want, tol * std::max(1.0f, std::fabs(want))) << "text " << i << " column " << j;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Model2Vec, TextEncoderTest,
                         ::testing::Values("wordpiece-normalized", "bpe-truncated", "quantized-no-limit", "float16"));

TEST(TextEncoderBehaviour, EmptyTextIsZerosAndOptionsOverrideConfig) {
  const fs::path folder = oracle() / "models" / "wordpiece-normalized";
  EMB_REQUIRE_FIXTURE(folder);
  const TextEncoder plain = TextEncoder::load(folder.string(), {.normalize = false, .max_length = 3});
  EXPECT_FALSE(plain.normalize());
  EXPECT_EQ(plain.max_length(), 3u);
  EXPECT_LE(plain.token_ids("one two three four five six seven").size(), 3u);
  const Matrix m = plain.encode({"", "   ", "hello world"});
  for (std::size_t j = 0; j < m.cols(); ++j) {
    EXPECT_EQ(m(0, j), 0.0f);
    EXPECT_EQ(m(1, j), 0.0f);
  }
  const TextEncoder normed = TextEncoder::load(folder.string());
  const Matrix n = normed.encode({"hello world"});
  double norm = 0;
  for (float x : n.row(0)) norm += double(x) * x;
  EXPECT_NEAR(norm, 1.0, 1e-5);
  EXPECT_THROW(normed.encode({std::string("bad \xc3\x28 utf8")}), InvalidArgument);
}

// A config.json that is not an object, or whose normalize is not a boolean,
// names the file (found by fuzzing: the JSON library's type_error escaped).
TEST(TextEncoderBehaviour, MalformedConfigJsonNamesTheFile) {
  const fs::path source = oracle() / "models" / "wordpiece-normalized";
  EMB_REQUIRE_FIXTURE(source);
  const fs::path folder = test::temp_dir() / "model2vec-bad-config";
  fs::remove_all(folder);
  fs::copy(source, folder, fs::copy_options::recursive);
  for (const char* config : {"true", "[1, 2]", R"({"normalize": "yes"})"}) {
    std::ofstream(folder / "config.json") << config;
    const std::string msg = test::message_of<ModelLoadError>([&] { TextEncoder::load(folder.string()); });
    EXPECT_NE(msg.find((folder / "config.json").string()), std::string::npos) << config << ": " << msg;
  }
}

TEST(TextEncoderBehaviour, NotAModel2VecFolderIsAClearError) {
  const fs::path fixture = test::shared_dir() / "fixtures" / "sbert" / "tiny-bert";
  EMB_REQUIRE_FIXTURE(fixture);
  // A transformer folder: config.json, model.safetensors and tokenizer.json exist, but no `embeddings` tensor.
  try {
    TextEncoder::load(fixture.string());
    FAIL() << "expected a ModelLoadError";
  } catch (const ModelLoadError& e) {
    EXPECT_NE(std::string(e.what()).find("no tensor 'embeddings'"), std::string::npos) << e.what();
  }
  const fs::path empty = test::temp_dir() / "empty-model";
  fs::create_directories(empty);
  try {
    TextEncoder::load(empty.string());
    FAIL() << "expected a ModelLoadError";
  } catch (const ModelLoadError& e) {
    EXPECT_NE(std::string(e.what()).find("is not a model2vec model"), std::string::npos) << e.what();
  }
}

TEST(TextEncoderBehaviour, LoadsByHubIdThroughTheCache) {
  const fs::path models = oracle() / "models";
  EMB_REQUIRE_FIXTURE(models / "bpe-truncated");
  const fs::path cache = test::temp_dir() / "m2v-cache";
  fs::remove_all(cache);
  const Matrix local = TextEncoder::load((models / "bpe-truncated").string()).encode({"hello there", "Grüße!"});
  fs::path folder;
  {
    test::FakeHub hub(models);  // serves each model as embetter-test/<name>
    test::ScopedEnv env({{"HF_ENDPOINT", hub.endpoint()}, {"HF_HUB_CACHE", cache.string()},
                         {"HF_HUB_OFFLINE", std::nullopt}, {"HF_TOKEN", std::nullopt}});
    const TextEncoder enc = TextEncoder::load("embetter-test/bpe-truncated");
    folder = enc.folder();
    EXPECT_EQ(enc.encode({"hello there", "Grüße!"}), local);
  }
  EXPECT_EQ(folder.parent_path().parent_path().filename(), "models--embetter-test--bpe-truncated");
  test::ScopedEnv offline({{"HF_HUB_CACHE", cache.string()}, {"HF_HUB_OFFLINE", "1"}});
  EXPECT_EQ(TextEncoder::load("embetter-test/bpe-truncated").encode({"hello there", "Grüße!"}), local);
}

// Every 1024 texts encode() reports and honours a stop (Ctrl-C from Python).
TEST(TextEncoderBehaviour, ProgressEvery1024TextsAndStopping) {
  const fs::path folder = oracle() / "models" / "wordpiece-normalized";
  EMB_REQUIRE_FIXTURE(folder);
  const TextEncoder enc = TextEncoder::load(folder.string());
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < 2100; ++i) texts.push_back("films, actors and the plot " + std::to_string(i));
  std::vector<std::size_t> done_at;
  const Matrix m = enc.encode(texts, [&](std::size_t done, std::size_t total) {
    EXPECT_EQ(total, texts.size());
    done_at.push_back(done);
    return true;
  });
  EXPECT_EQ(done_at, (std::vector<std::size_t>{1024, 2048}));
  EXPECT_EQ(m, enc.encode(texts));
  EXPECT_THROW(enc.encode(texts, [](std::size_t, std::size_t) { return false; }), Interrupted);
}

}  // namespace
}  // namespace emb
