// The transformer's token states against golden_token_embeddings.json
// (transformers 5.17, float32) for every fixture architecture.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

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

// The first layer's word products are kept across forward_batch calls of a
// workspace and dropped whole when they pass word_cache_bytes: a row must
// come out bitwise the same whether its words were cached, computed in its
// own batch or recomputed after a drop (tiny-roberta: positions counted
// from padding_idx; tiny-mpnet: relative attention; tiny-bert: token types).
TEST(TransformerEncoder, WordCacheNeverChangesARow) {
  for (const char* name : {"tiny-bert", "tiny-roberta", "tiny-mpnet"}) {
    SCOPED_TRACE(name);
    const auto folder = test::shared_dir() / "fixtures/sbert" / name;
    EMB_REQUIRE_FIXTURE(folder / "model.safetensors");
    const auto spec = models::read_model_spec(folder / "config.json");
    nn::WeightReader weights(folder / "model.safetensors");
    const auto encoder = models::load_encoder(weights, spec);
    const auto vocab = static_cast<std::int32_t>(encoder.config().vocab_size);
    std::vector<std::vector<std::int32_t>> sequences;
    for (std::size_t s = 0; s < 12; ++s) {
      std::vector<std::int32_t> ids;
      for (std::size_t t = 0; t < 3 + 5 * s % 17; ++t)   // 40 distinct words in all
        ids.push_back(static_cast<std::int32_t>((7 + 31 * t + 5 * s) % 40) + vocab / 2);
      sequences.push_back(ids);
    }
    std::vector<Matrix> alone(sequences.size());
    for (std::size_t s = 0; s < sequences.size(); ++s) {
      nn::Workspace fresh;
      encoder.forward(sequences[s], fresh, alone[s]);
    }
    const std::size_t row_bytes = 3 * encoder.config().hidden_size * sizeof(float);
    for (const std::size_t cache_bytes : {std::size_t{16} << 20, 10 * row_bytes, row_bytes}) {
      nn::Workspace ws;
      ws.word_cache_bytes = cache_bytes;
      for (int pass = 0; pass < 2; ++pass)
        for (std::size_t first = 0; first < sequences.size(); first += 3) {
          std::vector<std::span<const std::int32_t>> batch(sequences.begin() + first, sequences.begin() + first + 3);
          Matrix out;
          encoder.forward_batch(batch, ws, out);
          for (std::size_t s = 0; s < 3; ++s)
            for (std::size_t t = 0; t < batch[s].size(); ++t)
              for (std::size_t j = 0; j < out.cols(); ++j)
                ASSERT_EQ(out(ws.offsets[s] + t, j), alone[first + s](t, j))
                    << "cache " << cache_bytes << " bytes, pass " << pass << ", sequence " << first + s;
        }
      EXPECT_LE(ws.cached_words.size() * row_bytes, std::max(cache_bytes, row_bytes * 60));
    }
  }
}

// The fixtures share their vocabulary's size: a workspace that one encoder
// filled must not hand its words' products to another.
TEST(TransformerEncoder, AWorkspaceKeepsEachEncodersWordsApart) {
  std::vector<nn::TransformerEncoder> encoders;
  for (const char* name : {"tiny-bert", "tiny-roberta"}) {
    const auto folder = test::shared_dir() / "fixtures/sbert" / name;
    EMB_REQUIRE_FIXTURE(folder / "model.safetensors");
    nn::WeightReader weights(folder / "model.safetensors");
    encoders.push_back(models::load_encoder(weights, models::read_model_spec(folder / "config.json")));
  }
  ASSERT_EQ(encoders[0].config().vocab_size, encoders[1].config().vocab_size);
  const std::vector<std::int32_t> ids{5, 100, 101, 102, 6};
  nn::Workspace shared;
  for (const std::size_t e : {0u, 1u, 0u}) {
    nn::Workspace fresh;
    Matrix want, got;
    encoders[e].forward(ids, fresh, want);
    encoders[e].forward(ids, shared, got);
    for (std::size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got.data()[i], want.data()[i]) << "encoder " << e;
  }
}

// A model whose position table would pass kFirstProjectionBytes (XLM-R's
// 8,194 positions) runs its first product per token; the same weights with
// few positions run it per word. Both ways must agree on the tokens both
// can take (random weights; hidden 64, so 21,846 positions pass the limit).
TEST(TransformerEncoder, ManyPositionsRunTheFirstProductPerTokenAlike) {
  constexpr std::size_t h = 64, inter = 128, vocab = 50, few = 16;
  const std::size_t many = nn::TransformerEncoder::kFirstProjectionBytes / (3 * h * sizeof(float)) + 1;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.2f);
  auto matrix = [&](std::size_t r, std::size_t c) {
    Matrix m(r, c);
    for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
    return m;
  };
  auto vec = [&](std::size_t n, float offset) {
    std::vector<float> v(n);
    for (auto& x : v) x = offset + normal(rng);
    return v;
  };
  auto linear = [&](std::size_t out, std::size_t in) { return nn::Linear{matrix(out, in), vec(out, 0.0f)}; };
  nn::EncoderWeights w;
  w.word_embeddings = matrix(vocab, h);
  w.position_embeddings = matrix(many, h);
  w.token_type_embedding = vec(h, 0.0f);
  w.embedding_norm = {vec(h, 1.0f), vec(h, 0.0f)};
  for (int l = 0; l < 2; ++l)
    w.layers.push_back({linear(3 * h, h), linear(h, h), {vec(h, 1.0f), vec(h, 0.0f)}, linear(inter, h),
                        linear(h, inter), {vec(h, 1.0f), vec(h, 0.0f)}});
  nn::EncoderConfig c;
  c.vocab_size = vocab;
  c.hidden_size = h;
  c.num_layers = 2;
  c.num_heads = 4;
  c.intermediate_size = inter;
  c.max_position_embeddings = many;
  c.token_type_embeddings = true;
  nn::EncoderWeights short_w = w;
  short_w.position_embeddings = Matrix(few, h, std::vector<float>(w.position_embeddings.data(),
                                                                  w.position_embeddings.data() + few * h));
  nn::EncoderConfig short_c = c;
  short_c.max_position_embeddings = few;
  const nn::TransformerEncoder per_token(c, std::move(w)), per_word(short_c, std::move(short_w));
  const std::vector<std::int32_t> ids{1, 7, 7, 30, 2, 49, 7, 11, 3, 0};
  nn::Workspace ws1, ws2;
  Matrix a, b;
  per_token.forward(ids, ws1, a);
  per_word.forward(ids, ws2, b);
  EXPECT_TRUE(ws1.cached_words.empty());    // no word cache: the product per token
  EXPECT_FALSE(ws2.cached_words.empty());
  ASSERT_EQ(a.size(), b.size());
  EXPECT_LE(test::max_abs_diff(a, b), 1e-5f);
  EXPECT_GT(test::max_abs_diff(a, Matrix(a.rows(), a.cols())), 0.1f);   // (not both zero)
}

}  // namespace
}  // namespace emb
