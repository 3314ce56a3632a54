// SentenceModel (transformer + Pooling + Dense + Normalize) from the goldens'
// input_ids: parity with sentence-transformers, batch independence, and the
// errors malformed folders get.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "embetter/error.h"
#include "encoders/sentence_batches.h"
#include "encoders/sentence_model.h"
#include "io/safetensors.h"
#include "sentence_golden.h"
#include "support/test_support.h"

namespace emb {
namespace {
namespace fs = std::filesystem;
using encoders::BatchOptions;
using encoders::SentenceModel;
using test::test_batches;

fs::path fixture(const std::string& name) { return test::shared_dir() / "fixtures/sbert" / name; }

std::vector<std::vector<std::int32_t>> ids_of(const std::vector<test::GoldenText>& golden) {
  std::vector<std::vector<std::int32_t>> ids;
  for (const auto& g : golden) ids.push_back(g.input_ids);
  return ids;
}

void expect_parity(const fs::path& folder, const fs::path& golden_file, std::size_t batch_size) {
  const SentenceModel model = SentenceModel::load(folder);
  const auto golden = test::read_golden(golden_file);
  ASSERT_FALSE(golden.empty()) << golden_file;
  ASSERT_EQ(model.dim(), golden[0].embedding.size());
  const auto ids = ids_of(golden);
  const Matrix m = encoders::embed_sequences(model, ids, test_batches(batch_size));
  const auto p = test::compare(m, golden);
  std::printf("[parity] %s batch %zu: %zu texts, max abs diff %.3g, min cosine %.9f\n",
              folder.filename().c_str(), batch_size, golden.size(), p.max_abs, p.min_cosine);
  EXPECT_LE(p.max_abs, 1e-4f) << folder;
  EXPECT_GE(p.min_cosine, 0.99999) << folder;
}

class FixtureParity : public ::testing::TestWithParam<const char*> {};

TEST_P(FixtureParity, SentenceEmbeddingsFromGoldenIds) {
  EMB_REQUIRE_FIXTURE(fixture(GetParam()) / "golden.jsonl");
  expect_parity(fixture(GetParam()), fixture(GetParam()) / "golden.jsonl", 16);
  expect_parity(fixture(GetParam()), fixture(GetParam()) / "golden.jsonl", 1);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureParity,
                         ::testing::Values("tiny-bert", "tiny-bert-cased-cls", "tiny-roberta", "tiny-mpnet",
                                           "tiny-bert-max"),
                         test::FixtureParamName());

TEST(SentenceModel, MaxSeqLengthFromTheRightFile) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-bert-max") / "model.safetensors");
  EXPECT_EQ(SentenceModel::load(fixture("tiny-bert")).max_seq_length(), 128u);        // sentence_bert_config.json
  EXPECT_EQ(SentenceModel::load(fixture("tiny-bert-max")).max_seq_length(), 64u);     // tokenizer_config.json
  const auto roberta = SentenceModel::load(fixture("tiny-roberta"));
  EXPECT_EQ(roberta.max_positions(), 512u);
  EXPECT_EQ(roberta.dim(), 128u);
}

TEST(SentenceModel, BatchCompanionsDoNotChangeAnEmbedding) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-mpnet") / "golden.jsonl");
  for (const char* name : {"tiny-bert", "tiny-mpnet", "tiny-roberta"}) {
    const SentenceModel model = SentenceModel::load(fixture(name));
    const auto ids = ids_of(test::read_golden(fixture(name) / "golden.jsonl"));
    // 64 texts of mixed lengths (the goldens run from 2 tokens to the maximum).
    const std::vector<std::vector<std::int32_t>> mixed(ids.begin(), ids.begin() + 64);
    const Matrix in64 = encoders::embed_sequences(model, mixed, test_batches(64, 2));
    const Matrix in16 = encoders::embed_sequences(model, mixed, test_batches(16, 1));
    for (std::size_t i = 0; i < mixed.size(); ++i) {
      const Matrix alone = encoders::embed_sequences(model, std::span(&mixed[i], 1), test_batches(1));
      for (std::size_t j = 0; j < model.dim(); ++j) {
        ASSERT_EQ(alone(0, j), in64(i, j)) << name << " text " << i;   // bitwise
        ASSERT_EQ(alone(0, j), in16(i, j)) << name << " text " << i;
      }
    }
  }
}

TEST(SentenceModel, ProgressIsReportedPerBatchAndCanCancel) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-bert") / "golden.jsonl");
  const SentenceModel model = SentenceModel::load(fixture("tiny-bert"));
  const auto ids = ids_of(test::read_golden(fixture("tiny-bert") / "golden.jsonl"));
  std::vector<std::size_t> seen;
  BatchOptions o = test_batches(50);
  o.progress = [&](std::size_t done, std::size_t total) {
    EXPECT_EQ(total, ids.size());
    seen.push_back(done);
    return true;
  };
  encoders::embed_sequences(model, ids, o);
  EXPECT_EQ(seen, (std::vector<std::size_t>{50, 100, 117}));
  o.progress = [](std::size_t, std::size_t) { return false; };
  EXPECT_THROW(encoders::embed_sequences(model, ids, o), Interrupted);
}

// --- malformed folders -------------------------------------------------------

fs::path copy_fixture(const char* name, const char* as) { return test::writable_copy(fixture(name), as); }

TEST(SentenceModelErrors, UnknownPoolingModeIsNamed) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-bert") / "model.safetensors");
  const fs::path dir = copy_fixture("tiny-bert", "pooling");
  std::ofstream(dir / "1_Pooling/config.json") << R"({"embedding_dimension": 128, "pooling_mode": "median"})";
  const auto msg = test::message_of<NotSupportedError>([&] { SentenceModel::load(dir); });
  EXPECT_NE(msg.find("'median'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("1_Pooling"), std::string::npos) << msg;
}

// Without model.safetensors, pytorch_model.bin is read (io/torch_checkpoint.h;
// tests/unit/io/torch_checkpoint_test.cc embeds converted fixtures); one that
// is not a torch.save archive is named in the error.
TEST(SentenceModelErrors, BinOnlyFolderWithABrokenCheckpointNamesIt) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-bert") / "model.safetensors");
  const fs::path dir = copy_fixture("tiny-bert", "binonly");
  fs::remove(dir / "model.safetensors");
  std::ofstream(dir / "pytorch_model.bin") << "not a zip";
  auto msg = test::message_of<ModelLoadError>([&] { SentenceModel::load(dir); });
  EXPECT_NE(msg.find((dir / "pytorch_model.bin").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("zip"), std::string::npos) << msg;
  fs::remove(dir / "pytorch_model.bin");
  msg = test::message_of<ModelLoadError>([&] { SentenceModel::load(dir); });
  EXPECT_NE(msg.find("no model.safetensors or pytorch_model.bin"), std::string::npos) << msg;
}

TEST(SentenceModelErrors, UnknownModuleTypeIsNamed) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-bert") / "model.safetensors");
  const fs::path dir = copy_fixture("tiny-bert", "module");
  std::ifstream in(dir / "modules.json");
  auto modules = nlohmann::json::parse(in);
  modules[1]["type"] = "sentence_transformers.models.CNN";
  std::ofstream(dir / "modules.json") << modules.dump();
  const auto msg = test::message_of<NotSupportedError>([&] { SentenceModel::load(dir); });
  EXPECT_NE(msg.find("'CNN'"), std::string::npos) << msg;
}

TEST(SentenceModelErrors, MissingNormalizeFolderIsFine) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-bert") / "golden.jsonl");
  const fs::path dir = copy_fixture("tiny-bert", "nonormalize");
  fs::remove_all(dir / "2_Normalize");
  expect_parity(dir, fixture("tiny-bert") / "golden.jsonl", 16);
}


// --- findings of the mutation run (issue 18) -----------------------------------

TEST(SentenceModelErrors, NonStringModulePathNamesFileAndKey) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-bert") / "model.safetensors");
  const fs::path dir = copy_fixture("tiny-bert", "modpath");
  std::ifstream in(dir / "modules.json");
  auto modules = nlohmann::json::parse(in);
  modules[1]["path"] = 7;
  std::ofstream(dir / "modules.json") << modules.dump();
  const auto msg = test::message_of<ModelLoadError>([&] { SentenceModel::load(dir); });
  EXPECT_NE(msg.find("modules.json: module 'path' must be a string; got 7"), std::string::npos) << msg;
}

TEST(SentenceModelErrors, NonFiniteWeightIsRefusedNamingTheTensor) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-bert") / "model.safetensors");
  const std::string tensor = "encoder.layer.0.attention.self.query.weight";
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    const fs::path dir = copy_fixture("tiny-bert", "nan");
    const fs::path weights = dir / "model.safetensors";
    std::uint64_t header = 0, begin = 0;
    {
      std::ifstream in(weights, std::ios::binary);
      in.read(reinterpret_cast<char*>(&header), 8);
      begin = io::SafetensorsFile::open(weights).info(tensor).begin;
    }
    std::fstream out(weights, std::ios::binary | std::ios::in | std::ios::out);
    out.seekp(static_cast<std::streamoff>(8 + header + begin + 4 * 5));
    out.write(reinterpret_cast<const char*>(&bad), 4);
    out.close();
    const auto msg = test::message_of<ModelLoadError>([&] { SentenceModel::load(dir); });
    EXPECT_NE(msg.find("model.safetensors: '" + tensor + "' holds"), std::string::npos) << msg;
    EXPECT_NE(msg.find("at index 5"), std::string::npos) << msg;
  }
}

TEST(SentenceModelErrors, DeeplyNestedConfigValuesGetAShortError) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-bert") / "model.safetensors");
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  for (const char* file : {"config.json", "modules.json", "1_Pooling/config.json", "sentence_bert_config.json"}) {
    const fs::path dir = copy_fixture("tiny-bert", "deep");
    std::ifstream in(dir / file);
    auto j = nlohmann::json::parse(in);
    in.close();
    std::string text = j.dump();
    if (j.is_array())
      text = "[" + deep + "]";
    else
      text.insert(1, "\"deep\": " + deep + ", ");
    std::ofstream(dir / file) << text;
    const auto msg = test::message_of<ModelLoadError>([&] { SentenceModel::load(dir); });
    EXPECT_NE(msg.find(file), std::string::npos) << msg;
    EXPECT_NE(msg.find("nested more than 64 levels"), std::string::npos) << msg;
    EXPECT_LT(msg.size(), 1024u) << file;
  }
}

TEST(SentenceModelErrors, DeeplyNestedSafetensorsShapeGetsAShortError) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-bert") / "model.safetensors");
  const fs::path dir = copy_fixture("tiny-bert", "deepshape");
  const std::string header = R"({"a": {"dtype": "F32", "shape": )" + std::string(100000, '[') +
                             std::string(100000, ']') + R"(, "data_offsets": [0, 4]}})";
  std::ofstream out(dir / "model.safetensors", std::ios::binary);
  const std::uint64_t n = header.size();
  out.write(reinterpret_cast<const char*>(&n), 8);
  out << header << "abcd";
  out.close();
  const auto msg = test::message_of<ModelLoadError>([&] { SentenceModel::load(dir); });
  EXPECT_NE(msg.find("model.safetensors: header: JSON nested more than 64 levels"), std::string::npos) << msg;
  EXPECT_LT(msg.size(), 1024u);
}


// Values of the right JSON type that no model has: each used to give changed
// or NaN embeddings with exit 0 (scripts/mutation_run.py found them).
TEST(SentenceModelErrors, OutOfRangeConfigValuesAreRefused) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-roberta") / "model.safetensors");
  struct Case {
    const char* fixture;
    const char* file;
    const char* key;
    nlohmann::json value;
    const char* expected;
  };
  const Case cases[] = {
      {"tiny-mpnet", "config.json", "layer_norm_eps", -7, "layer_norm_eps -7 is not in (0, 1)"},
      {"tiny-bert", "config.json", "layer_norm_eps", 1099511627776LL, "is not in (0, 1)"},
      {"tiny-roberta", "config.json", "pad_token_id", 4294967296LL, "pad_token_id 4294967296 is not a token id"},
      {"tiny-roberta", "config.json", "pad_token_id", 600, "leaves none of the"},
      {"tiny-bert", "config.json", "type_vocab_size", -1, "type_vocab_size -1 is not in [1, 1048576]"},
      {"tiny-bert", "sentence_bert_config.json", "max_seq_length", 2147483647LL, "exceeds the"},
      {"tiny-bert", "sentence_bert_config.json", "max_seq_length", -1, "max_seq_length -1 is negative"},
      {"tiny-roberta", "1_Pooling/config.json", "pooling_mode", nlohmann::json::array(), "pooling_mode is an empty list"},
  };
  for (const Case& c : cases) {
    const fs::path dir = copy_fixture(c.fixture, "range");
    std::ifstream in(dir / c.file);
    auto j = nlohmann::json::parse(in);
    in.close();
    j[c.key] = c.value;
    std::ofstream(dir / c.file) << j.dump();
    const auto msg = test::message_of<ModelLoadError>([&] { SentenceModel::load(dir); });
    EXPECT_NE(msg.find(c.file), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.expected), std::string::npos) << c.key << ": " << msg;
  }
}

}  // namespace
}  // namespace emb
