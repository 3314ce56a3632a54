// Token ids and strings equal the goldens written by sentence-transformers for
// every text of every fixture (truncated to the model's max_seq_length).
#include <gtest/gtest.h>

#include <fstream>

#include "embetter/tokenizer.h"
#include "support/test_support.h"
#include "tokenizer_test_util.h"

namespace emb {
namespace {

class FixtureGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureGolden, InputIdsAndTokensMatch) {
  const auto folder = test::shared_dir() / "fixtures" / "sbert" / GetParam();
  // (EMB_REQUIRE_FIXTURE's parameter is called `path`, so only a variable of that name works.)
  const std::filesystem::path path = folder / "golden.jsonl";
  EMB_REQUIRE_FIXTURE(path);
  Tokenizer tok = Tokenizer::from_file(folder / "tokenizer.json");
  const std::size_t max_len = test::max_seq_length(folder);
  tok.set_truncation(max_len);
  std::ifstream in(path);
  std::string line;
  int n = 0, truncated = 0;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    const auto text = j.at("text").get<std::string>();
    const auto ids = j.at("input_ids").get<std::vector<std::int32_t>>();
    const auto tokens = j.at("tokens").get<std::vector<std::string>>();
    const Encoding enc = tok.encode(text);
    EXPECT_EQ(enc.ids, ids) << "text #" << n << ": " << test::show(text);
    EXPECT_EQ(enc.tokens, tokens) << "text #" << n << ": " << test::show(text);
    truncated += ids.size() == max_len;
    ++n;
  }
  EXPECT_EQ(n, 117);
  EXPECT_GT(truncated, 0) << "the goldens should exercise truncation";
}

INSTANTIATE_TEST_SUITE_P(Sbert, FixtureGolden,
                         ::testing::Values("tiny-bert", "tiny-bert-cased-cls", "tiny-roberta", "tiny-mpnet",
                                           "tiny-bert-max"),
                         test::FixtureParamName());

}  // namespace
}  // namespace emb
