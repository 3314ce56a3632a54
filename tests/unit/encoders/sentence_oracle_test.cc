// Parity with sentence-transformers on models built by the oracles at test
// time (tests/oracles/sentence_*.py): DistilBERT with Dense and multi-mode
// pooling, BERT with gelu_new and legacy pooling flags, and the real
// all-MiniLM-L6-v2 on IMDB reviews and arXiv sentences.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "encoders/sentence_batches.h"
#include "encoders/sentence_model.h"
#include "sentence_golden.h"
#include "support/test_support.h"

namespace emb {
namespace {
namespace fs = std::filesystem;
using encoders::SentenceModel;
using test::test_batches;

void check_folder(const fs::path& folder, const fs::path& golden_file, std::size_t batch_size) {
  const SentenceModel model = SentenceModel::load(folder);
  const auto golden = test::read_golden(golden_file);
  ASSERT_FALSE(golden.empty());
  std::vector<std::vector<std::int32_t>> ids;
  for (const auto& g : golden) ids.push_back(g.input_ids);
  const Matrix m = encoders::embed_sequences(model, ids, test_batches(batch_size));
  ASSERT_EQ(m.cols(), golden[0].embedding.size());
  const auto p = test::compare(m, golden);
  std::printf("[parity] %s: %zu texts, max abs diff %.3g, min cosine %.9f\n", golden_file.filename().c_str(),
              golden.size(), p.max_abs, p.min_cosine);
  EXPECT_LE(p.max_abs, 1e-4f);
  EXPECT_GE(p.min_cosine, 0.99999);
}

void check_tokens(const fs::path& folder) {
  const SentenceModel model = SentenceModel::load(folder);
  std::ifstream in(folder / "golden_token_embeddings.json");
  const auto golden = nlohmann::json::parse(in);
  SentenceModel::Workspace ws;
  float worst = 0.0f;
  for (std::size_t s = 0; s < golden["input_ids"].size(); ++s) {
    const auto ids = golden["input_ids"][s].get<std::vector<std::int32_t>>();
    Matrix out;
    model.token_embeddings(ids, ws, out);
    for (std::size_t t = 0; t < out.rows(); ++t)
      for (std::size_t j = 0; j < out.cols(); ++j)
        worst = std::max(worst, std::fabs(out(t, j) - golden["token_embeddings"][s][t][j].get<float>()));
  }
  EXPECT_LE(worst, 1e-4f) << folder;
}

TEST(SentenceOracle, DistilBertWithDenseAndConcatenatedPooling) {
  const fs::path folder = test::oracle_dir() / "sentence_modules/tiny-distilbert-dense";
  EMB_REQUIRE_FIXTURE(folder / "golden.jsonl");
  const SentenceModel model = SentenceModel::load(folder);
  EXPECT_EQ(model.dim(), 24u);
  EXPECT_EQ(model.max_seq_length(), 96u);
  check_tokens(folder);
  check_folder(folder, folder / "golden.jsonl", 16);
}

TEST(SentenceOracle, BertGeluNewWithLegacyPoolingFlags) {
  const fs::path folder = test::oracle_dir() / "sentence_modules/tiny-bert-gelu-new";
  EMB_REQUIRE_FIXTURE(folder / "golden.jsonl");
  EXPECT_EQ(SentenceModel::load(folder).dim(), 16u);
  check_tokens(folder);
  check_folder(folder, folder / "golden.jsonl", 7);
}

TEST(SentenceOracle, RealMiniLmMatchesSentenceTransformers) {
  const fs::path dir = test::oracle_dir() / "sentence_minilm";
  EMB_REQUIRE_FIXTURE(dir / "minilm.jsonl");
  std::ifstream f(dir / "model_folder.txt");
  std::string folder;
  std::getline(f, folder);
  const SentenceModel model = SentenceModel::load(folder);
  EXPECT_EQ(model.dim(), 384u);
  EXPECT_EQ(model.max_seq_length(), 256u);
  check_folder(folder, dir / "minilm.jsonl", 32);
}

}  // namespace
}  // namespace emb
