// JSON from files we do not control: nesting limits, short excerpts in
// errors, token ids checked as 64-bit values (issue 18's mutation findings).
#include "io/json_input.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "embetter/error.h"
#include "support/test_support.h"

namespace emb::io {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;
using test::message_of;

std::string nested_arrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(JsonInput, NestingIsLimitedWithAShortMessage) {
  EXPECT_NO_THROW(parse_json(nested_arrays(kMaxJsonDepth), "ok.json"));
  for (int depth : {kMaxJsonDepth + 1, 5000, 100000}) {
    const auto msg = message_of<ModelLoadError>([&] { parse_json(nested_arrays(depth), "deep.json"); });
    EXPECT_THAT(msg, HasSubstr("deep.json: JSON nested more than 64 levels deep"));
    EXPECT_LT(msg.size(), 200u);
  }
  // The user's own data (a JSONL line) gets InvalidArgument, not ModelLoadError.
  EXPECT_THROW(parse_json(nested_arrays(100000), "data.jsonl:3", JsonSource::Input), InvalidArgument);
}

TEST(JsonInput, SyntaxAndRangeErrorsNameTheOriginBriefly) {
  // 1e999999 is a number out of range: the library throws out_of_range, not
  // parse_error, which used to escape as an unclear exit 1.
  EXPECT_THAT(message_of<InvalidArgument>([] { parse_json(R"({"text": 1e999999})", "d.jsonl:7", JsonSource::Input); }),
              HasSubstr("d.jsonl:7: not valid JSON"));
  const std::string long_token = "{\"a\": \"" + std::string(50'000'000, 'x');  // unterminated
  const auto msg = message_of<ModelLoadError>([&] { parse_json(long_token, "big.json"); });
  EXPECT_THAT(msg, HasSubstr("big.json: not valid JSON"));
  EXPECT_LT(msg.size(), 300u);
}

TEST(JsonInput, TopLevelKeysCanBeChecked) {
  int seen = 0;
  parse_json(R"({"a": {"b": 1}, "c": 2})", "k.json", JsonSource::ModelFile, [&](const std::string&) { ++seen; });
  EXPECT_EQ(seen, 2);
}

TEST(JsonInput, ExcerptsAreShortAndValidUtf8) {
  json big = json::array();
  for (int i = 0; i < 100000; ++i) big.push_back(i);
  const std::string e = json_excerpt(big);
  EXPECT_LE(e.size(), kExcerptChars + 3);  // + "…"
  EXPECT_THAT(e, ::testing::StartsWith("[0,1,2,3,"));
  EXPECT_EQ(json_excerpt(json::parse(R"({"k": [1, "two"]})")), R"({"k":[1,"two"]})");
  std::string es;
  for (int i = 0; i < 100; ++i) es += "\xC3\xA9";
  const std::string cut = text_excerpt(es, 7);
  EXPECT_EQ(cut, "\xC3\xA9\xC3\xA9\xC3\xA9…");
  // A key as long as a file is cut too.
  json long_key = json::object();
  long_key[std::string(1'000'000, 'k')] = 1;
  EXPECT_LE(json_excerpt(long_key).size(), kExcerptChars + 3);
}

TEST(JsonInput, TokenIdsAreCheckedAs64BitValues) {
  EXPECT_EQ(json_token_id(json(0), "v"), 0);
  EXPECT_EQ(json_token_id(json(kMaxTokenId), "v"), kMaxTokenId);
  for (const json& bad : {json(kMaxTokenId + 1), json(std::int64_t{1} << 31), json(std::int64_t{1} << 32),
                          json(std::int64_t{1} << 40), json(-1), json(1.5), json("3"), json(nullptr)}) {
    const auto msg = message_of<ModelLoadError>([&] { json_token_id(bad, "file.json: vocab['x']"); });
    EXPECT_THAT(msg, HasSubstr("file.json: vocab['x']: token id ")) << bad;
  }
}

}  // namespace
}  // namespace emb::io
