// SentenceEncoder end to end (tokenizer + transformer + modules) against
// sentence-transformers: the five fixtures' 117 texts in batches of 16 and
// one at a time, batch independence on texts, options, and the real
// all-MiniLM-L6-v2 on texts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <thread>

#include "embetter/error.h"
#include "embetter/sentence_encoder.h"
#include "sentence_golden.h"
#include "support/test_support.h"

namespace emb {
namespace {
namespace fs = std::filesystem;

fs::path fixture(const std::string& name) { return test::shared_dir() / "fixtures/sbert" / name; }

std::vector<std::string> texts_of(const std::vector<test::GoldenText>& golden) {
  std::vector<std::string> t;
  for (const auto& g : golden) t.push_back(g.text);
  return t;
}

SentenceEncoderOptions with_batch(int batch_size) {
  SentenceEncoderOptions o;
  o.batch_size = batch_size;
  return o;
}

class EncoderParity : public ::testing::TestWithParam<const char*> {};

TEST_P(EncoderParity, TextsInBatchesOf16AndOneAtATime) {
  const fs::path folder = fixture(GetParam());
  EMB_REQUIRE_FIXTURE(folder / "golden.jsonl");
  const auto golden = test::read_golden(folder / "golden.jsonl");
  const auto texts = texts_of(golden);
  const auto batched = SentenceEncoder::load(folder.string(), with_batch(16));
  for (std::size_t i = 0; i < golden.size(); ++i)
    EXPECT_EQ(batched.token_ids(golden[i].text), golden[i].input_ids) << GetParam() << " text " << i;
  const Matrix m16 = batched.encode(texts);
  const auto single = SentenceEncoder::load(folder.string(), with_batch(1));
  const Matrix m1 = single.encode(texts);
  for (const auto* m : {&m16, &m1}) {
    const auto p = test::compare(*m, golden);
    std::printf("[parity] %s texts, batch %d: max abs diff %.3g, min cosine %.9f\n", GetParam(),
                m == &m16 ? 16 : 1, p.max_abs, p.min_cosine);
    EXPECT_LE(p.max_abs, 1e-4f);
    EXPECT_GE(p.min_cosine, 0.99999);
  }
  EXPECT_EQ(m16, m1);   // bitwise: batching never changes an embedding
}

INSTANTIATE_TEST_SUITE_P(Fixtures, EncoderParity,
                         ::testing::Values("tiny-bert", "tiny-bert-cased-cls", "tiny-roberta", "tiny-mpnet",
                                           "tiny-bert-max"),
                         test::FixtureParamName());

TEST(SentenceEncoder, AloneIn16AndIn64MixedLengthsAreBitwiseEqual) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-bert") / "golden.jsonl");
  const auto texts = texts_of(test::read_golden(fixture("tiny-bert") / "golden.jsonl"));
  const std::vector<std::string> mixed(texts.begin() + 10, texts.begin() + 74);
  SentenceEncoderOptions o64 = with_batch(64);
  o64.num_threads = 2;
  const Matrix in64 = SentenceEncoder::load(fixture("tiny-bert").string(), o64).encode(mixed);
  const auto enc16 = SentenceEncoder::load(fixture("tiny-bert").string(), with_batch(16));
  for (std::size_t start = 0; start < mixed.size(); start += 16) {
    const std::vector<std::string> chunk(mixed.begin() + start, mixed.begin() + start + 16);
    const Matrix in16 = enc16.encode(chunk);
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      const Matrix alone = enc16.encode({chunk[i]});
      for (std::size_t j = 0; j < alone.cols(); ++j) {
        ASSERT_EQ(alone(0, j), in16(i, j));
        ASSERT_EQ(alone(0, j), in64(start + i, j));
      }
    }
  }
}

// Several threads encoding through one encoder at once (each call with its
// own two workers) get bitwise what one call alone gets; run under TSan by
// scripts/test_sanitizers.sh, as the encoder promises thread safety.
TEST(SentenceEncoder, ConcurrentCallsOnOneEncoderEqualOneCallAlone) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-bert") / "golden.jsonl");
  const auto texts = texts_of(test::read_golden(fixture("tiny-bert") / "golden.jsonl"));
  SentenceEncoderOptions options = with_batch(16);
  options.num_threads = 2;
  const auto encoder = SentenceEncoder::load(fixture("tiny-bert").string(), options);
  const Matrix alone = encoder.encode(texts);
  std::vector<Matrix> results(4);
  std::vector<std::thread> callers;
  for (std::size_t t = 0; t < results.size(); ++t)
    callers.emplace_back([&, t] { results[t] = encoder.encode(texts); });
  for (auto& c : callers) c.join();
  for (const Matrix& r : results) {
    ASSERT_EQ(r.rows(), alone.rows());
    for (std::size_t i = 0; i < r.size(); ++i) ASSERT_EQ(r.data()[i], alone.data()[i]);
  }
}

TEST(SentenceEncoder, TruncateDimThenNormalize) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-mpnet") / "golden.jsonl");
  const auto golden = test::read_golden(fixture("tiny-mpnet") / "golden.jsonl");
  SentenceEncoderOptions o;
  o.truncate_dim = 32;
  o.normalize_embeddings = true;
  const auto enc = SentenceEncoder::load(fixture("tiny-mpnet").string(), o);
  EXPECT_EQ(enc.dim(), 32u);
  const Matrix m = enc.encode({golden[0].text, golden[1].text});
  ASSERT_EQ(m.cols(), 32u);
  for (std::size_t r = 0; r < 2; ++r) {
    double norm = 0, ref = 0;
    for (std::size_t j = 0; j < 32; ++j) {
      norm += m(r, j) * m(r, j);
      ref += golden[r].embedding[j] * golden[r].embedding[j];
    }
    EXPECT_NEAR(norm, 1.0, 1e-5);
    for (std::size_t j = 0; j < 32; ++j)
      EXPECT_NEAR(m(r, j), golden[r].embedding[j] / std::sqrt(ref), 1e-4);
  }
  o.truncate_dim = 129;
  EXPECT_THROW(SentenceEncoder::load(fixture("tiny-mpnet").string(), o), InvalidArgument);
}

TEST(SentenceEncoder, MaxSeqLengthOption) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-roberta") / "golden.jsonl");
  SentenceEncoderOptions o;
  o.max_seq_length = 8;
  const auto enc = SentenceEncoder::load(fixture("tiny-roberta").string(), o);
  EXPECT_EQ(enc.max_seq_length(), 8u);
  EXPECT_EQ(enc.token_ids(std::string(500, 'a') + " b c d e f g h i j").size(), 8u);
  EXPECT_EQ(SentenceEncoder::load(fixture("tiny-roberta").string()).max_seq_length(), 128u);
  o.max_seq_length = 513;   // 514 positions less RoBERTa's offset of 2
  EXPECT_THROW(SentenceEncoder::load(fixture("tiny-roberta").string(), o), InvalidArgument);
  EXPECT_EQ(SentenceEncoder::load(fixture("tiny-roberta").string()).encode({}).rows(), 0u);
}

// More texts than encode() tokenises at a time (2048): rows equal those of
// shorter calls, progress counts over the whole list, and a stop requested
// at the first batch comes before the later texts are even tokenised.
TEST(SentenceEncoder, LongListsAreTokenisedAWindowAtATime) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-mpnet") / "golden.jsonl");
  const auto golden = texts_of(test::read_golden(fixture("tiny-mpnet") / "golden.jsonl"));
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < 2200; ++i) texts.push_back(golden[i % golden.size()] + " " + std::to_string(i));
  std::vector<std::pair<std::size_t, std::size_t>> reports;
  SentenceEncoderOptions o = with_batch(32);
  o.truncate_dim = 48;  // rows are truncated and normalised window by window
  o.normalize_embeddings = true;
  o.progress = [&](std::size_t done, std::size_t total) {
    reports.emplace_back(done, total);
    return true;
  };
  const auto enc = SentenceEncoder::load(fixture("tiny-mpnet").string(), o);
  const Matrix all = enc.encode(texts);
  ASSERT_EQ(all.rows(), texts.size());
  ASSERT_EQ(all.cols(), 48u);
  ASSERT_EQ(reports.size(), (texts.size() + 31) / 32);
  for (std::size_t i = 0; i < reports.size(); ++i)
    ASSERT_EQ(reports[i], std::make_pair(std::min(texts.size(), 32 * (i + 1)), texts.size()));
  for (std::size_t start : {0, 2000, 2040, 2100}) {
    const std::vector<std::string> part(texts.begin() + start, texts.begin() + start + 100);
    std::vector<std::size_t> rows(part.size());
    std::iota(rows.begin(), rows.end(), start);
    EXPECT_EQ(enc.encode(part), all.select_rows(rows)) << "rows " << start << "..";
  }
  // The same from texts handed over a window at a time (Python's list).
  std::vector<std::pair<std::size_t, std::size_t>> windows;
  std::vector<std::string> held;
  const Matrix fetched = enc.encode(texts.size(), [&](std::size_t begin, std::size_t end) {
    windows.emplace_back(begin, end);
    held.assign(texts.begin() + static_cast<std::ptrdiff_t>(begin), texts.begin() + static_cast<std::ptrdiff_t>(end));
    return std::span<const std::string>(held);
  });
  EXPECT_EQ(fetched, all);
  EXPECT_EQ(windows, (std::vector<std::pair<std::size_t, std::size_t>>{{0, 2048}, {2048, 2200}}));

  texts[2150] = "not \xff UTF-8";
  EXPECT_THROW(
      {
        try {
          enc.encode(texts);
        } catch (const InvalidArgument& e) {
          EXPECT_NE(std::string(e.what()).find("text 2150"), std::string::npos) << e.what();
          throw;
        }
      },
      InvalidArgument);
  o.progress = [](std::size_t, std::size_t) { return false; };
  EXPECT_THROW(SentenceEncoder::load(fixture("tiny-mpnet").string(), o).encode(texts), Interrupted);
}

TEST(SentenceEncoder, RealMiniLmOnTexts) {
  const fs::path dir = test::oracle_dir() / "sentence_minilm";
  EMB_REQUIRE_FIXTURE(dir / "minilm.jsonl");
  std::ifstream f(dir / "model_folder.txt");
  std::string folder;
  std::getline(f, folder);
  const auto all = test::read_golden(dir / "minilm.jsonl");
  // Every fourth text keeps the run short; the id-level test covers them all.
  std::vector<test::GoldenText> golden;
  for (std::size_t i = 0; i < all.size(); i += 4) golden.push_back(all[i]);
  const auto enc = SentenceEncoder::load(folder);
  EXPECT_EQ(enc.dim(), 384u);
  for (const auto& g : golden) ASSERT_EQ(enc.token_ids(g.text), g.input_ids) << g.text;
  const auto p = test::compare(enc.encode(texts_of(golden)), golden);
  std::printf("[parity] all-MiniLM-L6-v2 texts: %zu texts, max abs diff %.3g, min cosine %.9f\n", golden.size(),
              p.max_abs, p.min_cosine);
  EXPECT_LE(p.max_abs, 1e-4f);
  EXPECT_GE(p.min_cosine, 0.99999);
}


// Found by mutation: a token id past the embedding rows failed only at the
// first text that used it, naming neither file.
TEST(SentenceEncoderErrors, TokenizerIdsBeyondTheEmbeddingRowsAreRefusedAtLoad) {
  EMB_REQUIRE_FIXTURE(fixture("tiny-bert") / "model.safetensors");
  const fs::path dir = test::temp_dir() / "ids-beyond";
  fs::remove_all(dir);
  fs::copy(fixture("tiny-bert"), dir, fs::copy_options::recursive);
  for (auto& e : fs::recursive_directory_iterator(dir))
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  std::ifstream config_in(dir / "config.json"), tok_in(dir / "tokenizer.json");
  const auto rows = nlohmann::json::parse(config_in)["vocab_size"].get<std::int64_t>();
  auto tok = nlohmann::json::parse(tok_in);
  tok["added_tokens"].push_back({{"id", rows}, {"content", "[NEW]"}, {"single_word", false}, {"lstrip", false},
                                 {"rstrip", false}, {"normalized", false}, {"special", true}});
  std::ofstream(dir / "tokenizer.json") << tok.dump();
  try {
    SentenceEncoder::load(dir.string());
    ADD_FAILURE() << "expected ModelLoadError";
  } catch (const ModelLoadError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(dir.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("ids reach " + std::to_string(rows)), std::string::npos) << msg;
    EXPECT_NE(msg.find("word embeddings have " + std::to_string(rows) + " rows"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace emb
