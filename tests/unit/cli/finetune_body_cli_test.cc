// embetter finetune --body end to end: labelled texts in, a sentence-transformers
// folder out that SentenceEncoder loads; options that belong to the other mode
// are refused.
#include "cli_runner.h"
#include "embetter/sentence_encoder.h"
#include "support/test_support.h"

namespace emb::test {
namespace {

namespace fs = std::filesystem;

fs::path tiny_bert() { return shared_dir() / "fixtures/sbert/tiny-bert"; }

// In a folder of its own: temp_dir() is shared by the tests of one process.
struct TextInputs {
  fs::path dir, texts, labels, out;
  explicit TextInputs(const std::string& name)
      : dir(temp_dir() / name), texts(dir / "t.txt"), labels(dir / "y.txt"), out(dir / "tuned") {
    fs::create_directories(dir);
    write_bytes(texts, "the cat sleeps\na dog barks\nthe horse runs\nthe bank lends\nstocks fall\nprices rise\n");
    write_bytes(labels, "animal\nanimal\nanimal\nmoney\nmoney\nmoney\n");
  }
};

TEST(CliFinetuneBody, WritesAModelFolderThatLoads) {
  EMB_REQUIRE_FIXTURE(tiny_bert());
  const TextInputs in("writes");
  const CliResult r = run_cli({"finetune", "--body", "--model", tiny_bert().string(), "--texts", in.texts.string(),
                               "--labels", in.labels.string(), "--out", in.out.string(), "--seed", "1", "--epochs",
                               "2", "--learning-rate", "1e-3", "--iterations", "3"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("on 36 pairs from 6 labelled texts (2 epoch(s), 6 steps)"), std::string::npos) << r.err;
  const auto tuned = SentenceEncoder::load(in.out.string());
  const auto original = SentenceEncoder::load(tiny_bert().string());
  const std::vector<std::string> probe = {"the cat sleeps", "prices rise"};
  EXPECT_GT(max_abs_diff(tuned.encode(probe), original.encode(probe)), 1e-4f);
}

TEST(CliFinetuneBody, BadInputsNameTheOption) {
  EMB_REQUIRE_FIXTURE(tiny_bert());
  const TextInputs in("bad");
  const std::string model = tiny_bert().string();
  expect_bad_input(run_cli({"finetune", "--body", "--model", model, "--texts", in.texts.string(), "--labels",
                            in.labels.string(), "--out", in.out.string(), "--hidden-dim", "3"}),
                   {"--hidden-dim does not apply to --body"}, in.out);
  expect_bad_input(run_cli({"finetune", "--body", "--texts", in.texts.string(), "--labels", in.labels.string(),
                            "--out", in.out.string()}),
                   {"--body needs --model"}, in.out);
  write_bytes(in.dir / "short.txt", "animal\nmoney\n");
  expect_bad_input(run_cli({"finetune", "--body", "--model", model, "--texts", in.texts.string(), "--labels",
                            (in.dir / "short.txt").string(), "--out", in.out.string()}),
                   {"has 6 texts but", "has 2 labels"}, in.out);
  write_bytes(in.dir / "one.txt", "a\na\na\na\na\na\n");
  expect_bad_input(run_cli({"finetune", "--body", "--model", model, "--texts", in.texts.string(), "--labels",
                            (in.dir / "one.txt").string(), "--out", in.out.string()}),
                   {"one.txt"}, in.out);
  expect_bad_input(run_cli({"finetune", "--labels", in.labels.string(), "--iterations", "3", "--save",
                            (in.dir / "a.safetensors").string()}),
                   {"--iterations applies to --body only"}, in.dir / "a.safetensors");
}

}  // namespace
}  // namespace emb::test
