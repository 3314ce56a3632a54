// Malformed tokenizer.json, unsupported components and invalid UTF-8 get
// clear errors that name the problem.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "embetter/error.h"
#include "embetter/threads.h"
#include "embetter/tokenizer.h"
#include "tokenizer_test_util.h"

namespace emb {
namespace {

using ::testing::HasSubstr;
using test::message_of;

const char* kMinimal = R"({
  "added_tokens": [{"id": 0, "content": "[UNK]", "special": true, "normalized": false,
                    "lstrip": false, "rstrip": false, "single_word": false}],
  "normalizer": NORMALIZER,
  "pre_tokenizer": PRE,
  "post_processor": null,
  "model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1, "##b": 2}}
})";

std::string minimal(const std::string& normalizer = "null", const std::string& pre = "null") {
  std::string s = kMinimal;
  s.replace(s.find("NORMALIZER"), 10, normalizer);
  s.replace(s.find("PRE"), 3, pre);
  return s;
}

TEST(TokenizerErrors, MinimalFileWorks) {
  const Tokenizer tok = Tokenizer::from_json(minimal("null", R"({"type": "WhitespaceSplit"})"));
  EXPECT_EQ(tok.encode("ab a").ids, (std::vector<std::int32_t>{1, 2, 1}));
  EXPECT_EQ(tok.encode("ab a").tokens, (std::vector<std::string>{"a", "##b", "a"}));
}

TEST(TokenizerErrors, UnsupportedComponentsAreNamed) {
  auto msg = message_of<NotSupportedError>(
      [] { Tokenizer::from_json(minimal("null", R"({"type": "UnicodeScripts"})"), "my/tokenizer.json"); });
  EXPECT_THAT(msg, HasSubstr("my/tokenizer.json"));
  EXPECT_THAT(msg, HasSubstr("pre_tokenizer type 'UnicodeScripts'"));
  EXPECT_THAT(msg, HasSubstr("supported: "));

  msg = message_of<NotSupportedError>([] {
    Tokenizer::from_json(minimal(R"({"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Precompiled"}]})"));
  });
  EXPECT_THAT(msg, HasSubstr("normalizer type 'Precompiled' at 'normalizer.normalizers[1]'"));

  msg = message_of<NotSupportedError>([] {
    Tokenizer::from_json(minimal("null", R"({"type": "Split", "pattern": {"Regex": "\\d{3}"}, "behavior": "Isolated"})"));
  });
  EXPECT_THAT(msg, HasSubstr("regex pattern '\\d{3}'"));

  std::string s = minimal();
  s.replace(s.find("\"WordPiece\""), 11, "\"WordLevel\"");
  msg = message_of<NotSupportedError>([&] { Tokenizer::from_json(s); });
  EXPECT_THAT(msg, HasSubstr("model type 'WordLevel'"));

  s = minimal();
  s.replace(s.find("\"post_processor\": null"), 22, R"("post_processor": {"type": "Fancy"})");
  msg = message_of<NotSupportedError>([&] { Tokenizer::from_json(s); });
  EXPECT_THAT(msg, HasSubstr("post_processor type 'Fancy'"));
}

TEST(TokenizerErrors, MalformedFilesAreModelLoadErrors) {
  EXPECT_THAT(message_of<ModelLoadError>([] { Tokenizer::from_json("{\"model\": ", "t.json"); }),
              HasSubstr("t.json: not valid JSON"));
  EXPECT_THAT(message_of<ModelLoadError>([] { Tokenizer::from_json("{}", "t.json"); }),
              HasSubstr("a model is required"));
  EXPECT_THAT(message_of<ModelLoadError>([] { Tokenizer::from_json(R"({"model": {"vocab": {}}})"); }),
              HasSubstr("missing key 'type'"));
  EXPECT_THAT(message_of<ModelLoadError>([] { Tokenizer::from_json(R"({"model": {"type": "WordPiece", "vocab": {"a": 0}}})"); }),
              HasSubstr("unk_token '[UNK]' is not in the vocabulary"));
  EXPECT_THAT(message_of<ModelLoadError>([] {
                Tokenizer::from_json(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}})");
              }),
              HasSubstr("gives 'ab', which is not in the vocabulary"));
  EXPECT_THAT(message_of<ModelLoadError>([] {
                Tokenizer::from_json(R"({"model": {"type": "Unigram", "vocab": [["a", "x"]]}})");
              }),
              HasSubstr("Unigram vocab entries must be [piece, score]"));
  EXPECT_THAT(message_of<ModelLoadError>([] { Tokenizer::from_file("/nonexistent/tokenizer.json"); }),
              HasSubstr("/nonexistent/tokenizer.json: cannot open"));
}

TEST(TokenizerErrors, InvalidUtf8NamesTheByteOffset) {
  const Tokenizer tok = Tokenizer::from_json(minimal());
  const std::pair<std::string, std::size_t> cases[] = {
      {std::string("ab\xff", 3), 2},          {std::string("a\xc3", 2), 1},           // truncated sequence
      {std::string("aa\xc0\xaf", 4), 2},      {std::string("\xed\xa0\x80", 3), 0},    // overlong, surrogate
      {std::string("a\xf4\x90\x80\x80", 5), 1}, {std::string("abc\x80", 4), 3},       // > U+10FFFF, stray continuation
  };
  for (const auto& [text, offset] : cases) {
    const std::string& input = text;  // a lambda may not capture a structured binding before C++20's P1091 (clang 14)
    const auto msg = message_of<InvalidArgument>([&] { tok.encode(input); });
    EXPECT_THAT(msg, HasSubstr("not valid UTF-8"));
    EXPECT_THAT(msg, HasSubstr("offset " + std::to_string(offset) + " ")) << msg;
  }
  EXPECT_NO_THROW(tok.encode(std::string("a\0b", 3)));  // NUL is valid UTF-8
}

TEST(TokenizerVocabTxt, MatchesTheTokenizerJsonOfAllMiniLM) {
  const std::filesystem::path path = test::oracle_dir() / "tokenizers" / "golden_texts.jsonl";
  EMB_REQUIRE_FIXTURE(path);
  const auto manifest = test::read_json(test::oracle_dir() / "tokenizers" / "manifest.json");
  std::string json_path;
  for (const auto& e : manifest)
    if (e.at("name") == "all-MiniLM-L6-v2") json_path = e.at("tokenizer").get<std::string>();
  if (json_path.empty()) EMB_SKIP_UNLESS_CI("all-MiniLM-L6-v2 is not installed");
  const auto folder = std::filesystem::path(json_path).parent_path();
  const Tokenizer from_json = Tokenizer::from_file(folder / "tokenizer.json");
  const Tokenizer from_vocab = Tokenizer::from_vocab_txt(folder / "vocab.txt", /*lowercase=*/true);
  EXPECT_EQ(from_vocab.vocab_size(), from_json.vocab_size());
  EXPECT_EQ(from_vocab.pad_id(), 0);
  EXPECT_EQ(from_vocab.token_to_id("[CLS]"), std::optional<std::int32_t>(101));
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const auto text = nlohmann::json::parse(line).get<std::string>();
    EXPECT_EQ(from_vocab.encode(text).ids, from_json.encode(text).ids) << test::show(text);
  }
}

TEST(TokenizerApi, VocabularyAccessAndTruncation) {
  const std::filesystem::path path = test::shared_dir() / "fixtures" / "sbert" / "tiny-bert" / "tokenizer.json";
  EMB_REQUIRE_FIXTURE(path);
  Tokenizer tok = Tokenizer::from_file(path);
  EXPECT_EQ(tok.vocab_size(), 8000u);
  EXPECT_EQ(tok.pad_id(), 0);
  EXPECT_EQ(tok.token_to_id("[SEP]"), std::optional<std::int32_t>(3));
  EXPECT_EQ(tok.id_to_token(2), "[CLS]");
  EXPECT_THROW(tok.id_to_token(8000), InvalidArgument);
  EXPECT_FALSE(tok.token_to_id("no-such-token").has_value());

  const Encoding full = tok.encode("the cat sat on the mat");
  ASSERT_EQ(full.ids.size(), 8u);
  EXPECT_EQ(full.special_tokens_mask, (std::vector<std::uint8_t>{1, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(full.type_ids, std::vector<std::int32_t>(8, 0));
  tok.set_truncation(5);  // [CLS] + 3 tokens + [SEP]
  const Encoding cut = tok.encode("the cat sat on the mat");
  EXPECT_EQ(cut.ids, (std::vector<std::int32_t>{full.ids[0], full.ids[1], full.ids[2], full.ids[3], full.ids[7]}));
  EXPECT_EQ(tok.encode("the cat sat on the mat", /*add_special_tokens=*/false).ids.size(), 5u);
  const auto batch = tok.encode_batch({"the cat", "", "sat"});
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch[1].ids, (std::vector<std::int32_t>{2, 3}));
}

// encode_batch shares texts out over threads: the same encodings as encode()
// one by one, in input order, and the error of the first bad text.
TEST(TokenizerApi, BatchOnTwoThreadsEqualsOneByOne) {
  const std::filesystem::path path = test::shared_dir() / "fixtures" / "sbert" / "tiny-bert" / "tokenizer.json";
  EMB_REQUIRE_FIXTURE(path);
  const Tokenizer tok = Tokenizer::from_file(path);
  const char* pieces[] = {"The cat", " sat on", " the mat.", " Café naïve", " 東京 ", "\t[SEP] ", "don't!", "  "};
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < 300; ++i) {
    std::string t;
    for (std::size_t j = 0; j < i % 9; ++j) t += pieces[(i * 7 + j) % 8];
    texts.push_back(t);
  }
  const int before = num_threads();
  set_num_threads(2);
  const auto batch = tok.encode_batch(texts);
  ASSERT_EQ(batch.size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const Encoding one = tok.encode(texts[i]);
    EXPECT_EQ(batch[i].ids, one.ids) << i;
    EXPECT_EQ(batch[i].tokens, one.tokens) << i;
    EXPECT_EQ(batch[i].special_tokens_mask, one.special_tokens_mask) << i;
  }
  texts[250] = "abcdef\xff";   // invalid at offset 6 of 7
  texts[20] = "ab\xff";        // invalid at offset 2 of 3: the one to report
  EXPECT_THAT(message_of<InvalidArgument>([&] { tok.encode_batch(texts); }), HasSubstr("offset 2 of 3"));
  set_num_threads(before);
}


// --- limits found by mutating real files (issue 18) ---------------------------

/// `{"type": "Sequence", "normalizers": [ ... ]}` nested `depth` times around NFC.
std::string nested_sequence(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += R"({"type": "Sequence", "normalizers": [)";
  s += R"({"type": "NFC"})";
  for (int i = 0; i < depth; ++i) s += "]}";
  return s;
}

TEST(TokenizerLimits, DeepSequencesAreRefusedNotACrash) {
  // 20,000 levels overflowed the stack in the recursive component parser.
  const auto msg = message_of<ModelLoadError>(
      [] { Tokenizer::from_json(minimal(nested_sequence(20000)), "deep/tokenizer.json"); });
  EXPECT_THAT(msg, HasSubstr("deep/tokenizer.json"));
  EXPECT_THAT(msg, HasSubstr("nested more than 64 levels"));
  EXPECT_LT(msg.size(), 1024u);
  // A real depth still loads.
  const Tokenizer ok = Tokenizer::from_json(minimal(nested_sequence(5), R"({"type": "WhitespaceSplit"})"));
  EXPECT_EQ(ok.encode("a").ids, (std::vector<std::int32_t>{1}));
}

TEST(TokenizerLimits, VocabularyIdsOutOfRangeAreErrorsNotWrappedIds) {
  for (const char* id : {"2147483648", "4294967296", "1099511627776", "-1", "2147483647", "16777216", "1.5"}) {
    std::string text = minimal();
    text.replace(text.find(R"("##b": 2)"), 8, std::string(R"("##b": )") + id);
    const auto msg = message_of<ModelLoadError>([&] { Tokenizer::from_json(text, "ids/tokenizer.json"); });
    EXPECT_THAT(msg, HasSubstr("ids/tokenizer.json")) << id;
    EXPECT_THAT(msg, HasSubstr("model.vocab[\"##b\"]")) << id;
    EXPECT_THAT(msg, HasSubstr(std::string("token id ") + id)) << id;
  }
  std::string added = minimal();
  added.replace(added.find(R"("id": 0)"), 7, R"("id": 4294967296)");
  EXPECT_THAT(message_of<ModelLoadError>([&] { Tokenizer::from_json(added, "t.json"); }),
              HasSubstr("added_tokens[0]: 'id': token id 4294967296 is not an integer in [0, 16777215]"));
}

TEST(TokenizerLimits, ErrorsQuoteAShortExcerptOfABadValue) {
  std::string huge = "[";
  for (int i = 0; i < 100000; ++i) huge += "123456789,";
  huge += "0]";
  const auto msg = message_of<ModelLoadError>(
      [&] { Tokenizer::from_json(minimal("null", R"({"type": "Split", "pattern": {"String": " "}, "behavior": )" + huge + "}")); });
  EXPECT_THAT(msg, HasSubstr("behavior must be"));
  EXPECT_THAT(msg, HasSubstr("[123456789,123456789,"));
  EXPECT_LT(msg.size(), 400u);
}


// Metaspace's prepend_scheme "first" prepends ▁ only where the normalized
// text still starts at the original text's first character. The Rust
// library aligns a multi-character match replaced at the start to the match's
// last character, and a removed first character moves the start too; the
// 100,000-text differential run found the first case (issue 18).
TEST(TokenizerAlignment, FirstPrependFollowsTheOriginalStart) {
  const auto tokenizer = [](const std::string& normalizer) {
    return Tokenizer::from_json(R"({"added_tokens": [], "normalizer": )" + normalizer + R"(,
      "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": true},
      "post_processor": null,
      "model": {"type": "WordPiece", "unk_token": "[UNK]",
                "vocab": {"[UNK]": 0, "\"": 1, "▁\"": 2, "##x": 3, "x": 4, "▁x": 5}}})");
  };
  using Ids = std::vector<std::int32_t>;
  const Tokenizer replace = tokenizer(R"({"type": "Replace", "pattern": {"String": "``"}, "content": "\""})");
  EXPECT_EQ(replace.encode("``x").ids, (Ids{1, 3}));  // aligned to the second `: no ▁
  EXPECT_EQ(replace.encode("\"x").ids, (Ids{2, 3}));  // untouched: ▁
  const Tokenizer one_char = tokenizer(R"({"type": "Replace", "pattern": {"String": "'"}, "content": "\""})");
  EXPECT_EQ(one_char.encode("'x").ids, (Ids{2, 3}));  // one character for one: still the start
  const Tokenizer removal = tokenizer(R"({"type": "Replace", "pattern": {"String": "y"}, "content": ""})");
  EXPECT_EQ(removal.encode("yx").ids, (Ids{4}));
  const Tokenizer strip = tokenizer(R"({"type": "Strip", "strip_left": true, "strip_right": true})");
  EXPECT_EQ(strip.encode("  x").ids, (Ids{4}));
  EXPECT_EQ(strip.encode("x").ids, (Ids{5}));
  const Tokenizer accents = tokenizer(R"({"type": "Sequence", "normalizers": [{"type": "StripAccents"}]})");
  EXPECT_EQ(accents.encode("\xCC\x81x").ids, (Ids{4}));  // U+0301 first, stripped
}

}  // namespace
}  // namespace emb
