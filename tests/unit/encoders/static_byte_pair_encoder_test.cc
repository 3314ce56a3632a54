// BytePairEncoder against BPEmb's behaviour computed by the sentencepiece Python
// library on the real pretrained en.wiki.bpe.vs1000 files (tests/oracles/bpemb_oracle.py).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "embetter/error.h"
#include "embetter/static_encoders.h"
#include "encoders/word2vec_binary.h"
#include "support/test_support.h"

namespace emb {
namespace {
namespace fs = std::filesystem;
using Json = nlohmann::json;

fs::path data_dir() { return test::shared_dir() / "data"; }
fs::path model_file() { return data_dir() / "en.wiki.bpe.vs1000.model"; }
fs::path vectors_file() { return data_dir() / "en.wiki.bpe.vs1000.d25.w2v.bin"; }

Json load_oracle() {
  std::ifstream in(test::oracle_dir() / "bpemb" / "bpemb.json");
  EXPECT_TRUE(in) << "oracle output missing: run the oracle.bpemb test first";
  return Json::parse(in);
}

class BytePairEncoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EMB_REQUIRE_FIXTURE(model_file());
    EMB_REQUIRE_FIXTURE(vectors_file());
    EMB_REQUIRE_FIXTURE(test::oracle_dir() / "bpemb" / "bpemb.json");
    oracle_ = load_oracle();
  }
  Json oracle_;
};

TEST_F(BytePairEncoderTest, PreprocessingPiecesAndIdsMatchBpemb) {
  BytePairEncoder enc(model_file(), vectors_file());
  EXPECT_EQ(enc.vocab_size(), 1000u);
  EXPECT_EQ(enc.dim(), 25u);
  for (const auto& r : oracle_["records"]) {
    const std::string text = r["text"];
    EXPECT_EQ(BytePairEncoder::preprocess(text), r["preprocessed"].get<std::string>()) << text;
    EXPECT_EQ(enc.encode_ids(text), r["ids"].get<std::vector<int>>()) << text;
    EXPECT_EQ(enc.encode_pieces(text), r["pieces"].get<std::vector<std::string>>()) << text;
  }
}

TEST_F(BytePairEncoderTest, MeanAndMaxMatchBpemb) {
  std::vector<std::string> texts;
  for (const auto& r : oracle_["records"]) texts.push_back(r["text"]);
  const Matrix mean = BytePairEncoder(model_file(), vectors_file()).encode(texts);
  const Matrix max = BytePairEncoder(model_file(), vectors_file(), BpeAggregation::Max).encode(texts);
  const Matrix both = BytePairEncoder(model_file(), vectors_file(), BpeAggregation::Both).encode(texts);
  ASSERT_EQ(mean.rows(), texts.size());
  ASSERT_EQ(both.cols(), 50u);
  float worst = 0.0f;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const Json& r = oracle_["records"][i];
    for (std::size_t j = 0; j < 25; ++j) {
      // A text without pieces: zeros here, NaN in BPEmb.
      const float want_mean = r["mean"].is_null() ? 0.0f : r["mean"][j].get<float>();
      const float want_max = r["max"].is_null() ? 0.0f : r["max"][j].get<float>();
      worst = std::max(worst, std::fabs(mean(i, j) - want_mean));
      EXPECT_EQ(max(i, j), want_max) << texts[i];  // a max picks stored values: exact
      EXPECT_EQ(both(i, j), mean(i, j));
      EXPECT_EQ(both(i, 25 + j), max(i, j));
    }
  }
  // numpy accumulates the mean in float32, we in double: long texts differ by a few 1e-6.
  EXPECT_LT(worst, 1e-5f);
}

TEST_F(BytePairEncoderTest, VectorsReadInFileOrder) {
  const auto w2v = encoders::read_word2vec_binary(vectors_file());
  EXPECT_EQ(w2v.words, oracle_["words"].get<std::vector<std::string>>());
  EXPECT_EQ(w2v.vectors.rows(), 1000u);
  EXPECT_EQ(w2v.vectors.cols(), 25u);
}

TEST(BytePairEncoderErrors, BadFilesAndTextAreClearErrors) {
  EMB_REQUIRE_FIXTURE(model_file());
  const fs::path dir = test::temp_dir() / "bpe-errors";
  fs::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary) << bytes;
    return dir / name;
  };
  auto message = [](auto&& fn) -> std::string {
    try {
      fn();
    } catch (const ModelLoadError& e) {
      return e.what();
    }
    return "no ModelLoadError";
  };
  // Truncated: header promises 2 × 3 floats, the second record is short.
  std::string body = "2 3\na ";
  body += std::string(12, '\0') + "\nb " + std::string(5, '\0');
  EXPECT_NE(message([&] { encoders::read_word2vec_binary(write("short.bin", body)); }).find("record 1 of 2 ('b') is truncated"),
            std::string::npos);
  // A header that promises more than the file holds sizes nothing (found by
  // fuzzing: it was a 70 TB allocation).
  EXPECT_NE(message([&] { encoders::read_word2vec_binary(write("huge.bin", "999999999999 3\na " + std::string(12, '\0') + "b " + std::string(12, '\0'))); })
                .find("record 2 of 999999999999 has no word"),
            std::string::npos);
  EXPECT_NE(message([&] { encoders::read_word2vec_binary(write("wide.bin", "1 999999999999\na ")); })
                .find("values per vector are more than the file's"),
            std::string::npos);
  EXPECT_NE(message([&] { encoders::read_word2vec_binary(write("text.bin", "hello world\n")); }).find("bad word2vec header"),
            std::string::npos);
  // Too few vectors for the model's 1000 pieces.
  std::string small = "1 2\n<unk> " + std::string(8, '\0');
  EXPECT_NE(message([&] { BytePairEncoder(model_file(), write("small.bin", small)); }).find("has 1 vectors but"),
            std::string::npos);
  EXPECT_NE(message([&] { BytePairEncoder(dir / "missing.model", vectors_file()); }).find("missing.model"),
            std::string::npos);
  EXPECT_NE(message([&] { BytePairEncoder(write("garbage.model", "not a model"), vectors_file()); })
                .find("cannot load the sentencepiece model"),
            std::string::npos);
  BytePairEncoder enc(model_file(), vectors_file());
  EXPECT_THROW(enc.encode({"ok", std::string("\xff\xfe bad")}), InvalidArgument);
}

// Every 1024 texts encode() reports and honours a stop (Ctrl-C from Python);
// a stopped call throws Interrupted, and the rows do not depend on the callback.
TEST_F(BytePairEncoderTest, ProgressEvery1024TextsAndStopping) {
  const BytePairEncoder enc(model_file(), vectors_file(), BpeAggregation::Both);
  const std::vector<std::string> texts(2500, "films, actors and the plot 1999");
  std::vector<std::pair<std::size_t, std::size_t>> reports;
  const Matrix m = enc.encode(texts, [&](std::size_t done, std::size_t total) {
    reports.emplace_back(done, total);
    return true;
  });
  EXPECT_EQ(reports, (std::vector<std::pair<std::size_t, std::size_t>>{{1024, 2500}, {2048, 2500}}));
  EXPECT_EQ(m, enc.encode(texts));
  EXPECT_THROW(enc.encode(texts, [](std::size_t, std::size_t) { return false; }), Interrupted);
}

}  // namespace
}  // namespace emb
