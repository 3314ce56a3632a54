// The transformer's token states against golden_token_embeddings.json
// (transformers 5.17, float32) for every fixture architecture.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "embetter/error.h"
#include "models/model_spec.h"
#include "nn/weight_reader.h"
#include "support/test_support.h"

namespace emb {
namespace {

class GoldenTokenEmbeddings : public ::testing::TestWithParam<const char*> {};

TEST_P(GoldenTokenEmbeddings, WithinTolerance) {
  const auto folder = test::shared_dir() / "fixtures/sbert" / GetParam();
  EMB_REQUIRE_FIXTURE(folder / "golden_token_embeddings.json");
  const auto spec = models::read_model_spec(folder / "config.json");
  nn::WeightReader weights(folder / "model.safetensors");
  const nn::TransformerEncoder encoder = models::load_encoder(weights, spec);

  std::ifstream in(folder / "golden_token_embeddings.json");
  const auto golden = nlohmann::json::parse(in);
  nn::Workspace ws;
  float worst = 0.0f;
  for (std::size_t s = 0; s < golden["input_ids"].size(); ++s) {
    // The goldens are a padded batch: run the real tokens only.
    std::vector<std::int32_t> ids;
    const auto& mask = golden["attention_mask"][s];
    for (std::size_t t = 0; t < mask.size(); ++t)
      if (mask[t].get<int>() == 1) ids.push_back(golden["input_ids"][s][t].get<std::int32_t>());
    Matrix out;
    encoder.forward(ids, ws, out);
    ASSERT_EQ(out.rows(), ids.size());
    const auto& expected = golden["token_embeddings"][s];
    for (std::size_t t = 0; t < ids.size(); ++t)
      for (std::size_t j = 0; j < out.cols(); ++j)
        worst = std::max(worst, std::fabs(out(t, j) - expected[t][j].get<float>()));
  }
  RecordProperty("max_abs_diff", std::to_string(worst));
  EXPECT_LE(worst, 1e-4f) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenTokenEmbeddings,
                         ::testing::Values("tiny-bert", "tiny-bert-cased-cls", "tiny-roberta", "tiny-mpnet",
                                           "tiny-bert-max"),
                         test::FixtureParamName());

TEST(TransformerEncoder, RejectsTooManyTokensAndUnknownIds) {
  const auto folder = test::shared_dir() / "fixtures/sbert/tiny-roberta";
  EMB_REQUIRE_FIXTURE(folder / "model.safetensors");
  const auto spec = models::read_model_spec(folder / "config.json");
  nn::WeightReader weights(folder / "model.safetensors");
  const auto encoder = models::load_encoder(weights, spec);
  EXPECT_EQ(encoder.config().max_tokens(), 512u);   // 514 positions less padding_idx + 1
  nn::Workspace ws;
  Matrix out;
  std::vector<std::int32_t> ids(513, 5);
  EXPECT_THROW(encoder.forward(ids, ws, out), InvalidArgument);
  ids.assign(3, 8000);
  EXPECT_THROW(encoder.forward(ids, ws, out), InvalidArgument);
  ids.assign(512, 5);
  EXPECT_NO_THROW(encoder.forward(ids, ws, out));
}

}  // namespace
}  // namespace emb
