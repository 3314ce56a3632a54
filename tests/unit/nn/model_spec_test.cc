// config.json parsing and weight loading: each malformed input gets an error
// that names the file and what was expected.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "embetter/error.h"
#include "models/model_spec.h"
#include "support/test_support.h"

namespace emb {
namespace {
namespace fs = std::filesystem;

nlohmann::json fixture_config(const char* name) {
  std::ifstream in(test::shared_dir() / "fixtures/sbert" / name / "config.json");
  return nlohmann::json::parse(in);
}

fs::path write_config(const nlohmann::json& c, const char* name) {
  const fs::path dir = test::temp_dir() / name;
  fs::create_directories(dir);
  std::ofstream(dir / "config.json") << c.dump();
  return dir / "config.json";
}

TEST(ModelSpec, ReadsEachFamily) {
  EMB_REQUIRE_FIXTURE(test::shared_dir() / "fixtures/sbert/tiny-mpnet/config.json");
  const auto dir = test::shared_dir() / "fixtures/sbert";
  const auto bert = models::read_model_spec(dir / "tiny-bert/config.json");
  EXPECT_EQ(bert.config.hidden_size, 128u);
  EXPECT_EQ(bert.config.padding_idx, -1);
  EXPECT_TRUE(bert.config.token_type_embeddings);
  const auto roberta = models::read_model_spec(dir / "tiny-roberta/config.json");
  EXPECT_EQ(roberta.config.padding_idx, 1);
  EXPECT_EQ(roberta.config.max_tokens(), 512u);
  const auto mpnet = models::read_model_spec(dir / "tiny-mpnet/config.json");
  EXPECT_EQ(mpnet.config.relative_attention_buckets, 32u);
  EXPECT_FALSE(mpnet.config.token_type_embeddings);
}

TEST(ModelSpec, MissingKeyNamesFileAndKey) {
  EMB_REQUIRE_FIXTURE(test::shared_dir() / "fixtures/sbert/tiny-bert/config.json");
  auto c = fixture_config("tiny-bert");
  c.erase("num_attention_heads");
  const auto file = write_config(c, "missing_key");
  const auto msg = test::message_of<ModelLoadError>([&] { models::read_model_spec(file); });
  EXPECT_NE(msg.find("num_attention_heads"), std::string::npos) << msg;
  EXPECT_NE(msg.find(file.string()), std::string::npos) << msg;
}

TEST(ModelSpec, UnknownArchitectureIsNamed) {
  EMB_REQUIRE_FIXTURE(test::shared_dir() / "fixtures/sbert/tiny-bert/config.json");
  auto c = fixture_config("tiny-bert");
  c["model_type"] = "gpt2";
  const auto file = write_config(c, "unknown_arch");
  const auto msg = test::message_of<NotSupportedError>([&] { models::read_model_spec(file); });
  EXPECT_NE(msg.find("'gpt2'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bert, roberta"), std::string::npos) << msg;
}

TEST(ModelSpec, UnknownActivationAndWrongTypesAreNamed) {
  EMB_REQUIRE_FIXTURE(test::shared_dir() / "fixtures/sbert/tiny-bert/config.json");
  auto c = fixture_config("tiny-bert");
  c["hidden_act"] = "mish";
  auto msg = test::message_of<NotSupportedError>([&] { models::read_model_spec(write_config(c, "act")); });
  EXPECT_NE(msg.find("hidden_act 'mish'"), std::string::npos) << msg;
  c = fixture_config("tiny-bert");
  c["hidden_size"] = "128";
  msg = test::message_of<ModelLoadError>([&] { models::read_model_spec(write_config(c, "type")); });
  EXPECT_NE(msg.find("'hidden_size'"), std::string::npos) << msg;
}

TEST(ModelSpec, ShapeMismatchNamesTensorAndExpectedShape) {
  EMB_REQUIRE_FIXTURE(test::shared_dir() / "fixtures/sbert/tiny-bert/model.safetensors");
  auto c = fixture_config("tiny-bert");
  c["intermediate_size"] = 512;
  const auto spec = models::read_model_spec(write_config(c, "shape"));
  const auto weights_file = test::shared_dir() / "fixtures/sbert/tiny-bert/model.safetensors";
  nn::WeightReader weights(weights_file);
  const auto msg = test::message_of<ModelLoadError>([&] { models::load_encoder(weights, spec); });
  EXPECT_NE(msg.find("'encoder.layer.0.intermediate.dense.weight' has shape [256, 128]; expected [512, 128]"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find(weights_file.string()), std::string::npos) << msg;
}

TEST(ModelSpec, WrongArchitectureForWeightsIsExplained) {
  EMB_REQUIRE_FIXTURE(test::shared_dir() / "fixtures/sbert/tiny-bert/model.safetensors");
  auto c = fixture_config("tiny-bert");
  c["model_type"] = "distilbert";
  c["dim"] = 128;
  c["n_layers"] = 2;
  c["n_heads"] = 4;
  c["hidden_dim"] = 256;
  const auto spec = models::read_model_spec(write_config(c, "wrong_arch"));
  nn::WeightReader weights(test::shared_dir() / "fixtures/sbert/tiny-bert/model.safetensors");
  const auto msg = test::message_of<ModelLoadError>([&] { models::load_encoder(weights, spec); });
  EXPECT_NE(msg.find("transformer.layer.0.attention.q_lin.weight"), std::string::npos) << msg;
}

}  // namespace
}  // namespace emb
