// embetter demo on a small slice of the IMDB data, end to end.
#include <regex>

#include "cli_runner.h"
#include "embetter/isa.h"
#include "support/test_support.h"

namespace emb::test {
namespace {

namespace fs = std::filesystem;

TEST(CliDemo, Help) {
  const CliResult r = run_cli({"demo", "--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* o : {"--data", "--text-field", "--label-field", "--encoder", "lite", "--out", "--seed",
                        "--train-size", "--test-size", "--epochs"}) {
    EXPECT_NE(r.out.find(o), std::string::npos) << o;
  }
}

TEST(CliDemo, SmallSliceWritesThreeChartsAndAReportWithNumbers) {
  const fs::path data = shared_dir() / "data" / "imdb-5000.jsonl";
  EMB_REQUIRE_FIXTURE(data);
  const fs::path out = temp_dir() / "demo";
  const CliResult r = run_cli({"demo", "--data", data.string(), "--train-size", "40", "--test-size", "100", "--epochs",
                               "5", "--out", out.string(), "--seed", "7", "--encoder", "lite"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* f : {"pca-original.png", "pca-finetuned-hidden200.png", "pca-finetuned-hidden10.png", "report.md",
                        "report.html"}) {
    EXPECT_TRUE(fs::is_regular_file(out / f)) << f;
  }
  EXPECT_FALSE(fs::exists(out / "explore.html")) << "the explorer page is written only with --explore";
  const std::string md = slurp(out / "report.md");
  EXPECT_TRUE(std::regex_search(md, std::regex(R"(\| raw \(lite\) \| 140 \| \d+\.\d\d% \| -?\d\.\d{4} \|)"))) << md;
  EXPECT_TRUE(std::regex_search(md, std::regex(R"(\| finetuned, hidden_dim=200 \| 200 \| \d+\.\d\d% \| -?\d\.\d{4} \|)")));
  EXPECT_TRUE(std::regex_search(md, std::regex(R"(\| finetuned, hidden_dim=10 \| 10 \| \d+\.\d\d% \| -?\d\.\d{4} \|)")));
  EXPECT_TRUE(std::regex_search(md, std::regex("(raised|lowered) the test accuracy|left the test accuracy unchanged"))) << md;
  EXPECT_TRUE(std::regex_search(md, std::regex(R"(\| total \| \d+\.\d{3} \|)"))) << md;
  const std::string html = slurp(out / "report.html");
  for (const char* chart : {"pca-original.png", "pca-finetuned-hidden200.png", "pca-finetuned-hidden10.png"}) {
    EXPECT_NE(html.find(std::string("<img src=\"") + chart + "\""), std::string::npos) << chart;
  }
  EXPECT_NE(r.out.find("silhouette"), std::string::npos) << r.out;

  // The same seed gives the same numbers (the timings aside).
  const fs::path again = temp_dir() / "demo-again";
  ASSERT_EQ(run_cli({"--quiet", "demo", "--data", data.string(), "--train-size", "40", "--test-size", "100", "--epochs",
                     "5", "--out", again.string(), "--seed", "7", "--encoder", "lite"})
                .code,
            0);
  const std::string md2 = slurp(again / "report.md");
  const auto results = [](const std::string& s) { return s.substr(0, s.find("## Time of each step")); };
  EXPECT_EQ(results(md2), results(md));
}

TEST(CliDemo, ExploreWritesThePageOfTheTestTextsAndTheirRawEmbeddings) {
  const fs::path data = shared_dir() / "data" / "imdb-5000.jsonl";
  EMB_REQUIRE_FIXTURE(data);
  const fs::path out = temp_dir() / "demo-explore";
  const CliResult r = run_cli({"demo", "--data", data.string(), "--train-size", "40", "--test-size", "100", "--epochs",
                               "5", "--out", out.string(), "--seed", "7", "--encoder", "lite", "--explore"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string page = slurp(out / "explore.html");
  for (const char* space : {"{\"name\":\"raw\"", "{\"name\":\"tuned, hidden_dim=200\"", "{\"name\":\"tuned, hidden_dim=10\""})
    EXPECT_NE(page.find(space), std::string::npos) << space;
  EXPECT_NE(page.find("<title>embetter demo: 100 test texts</title>"), std::string::npos);
  const std::string npy = slurp(out / "explore-raw.npy");
  EXPECT_NE(npy.find("'shape': (100, 140)"), std::string::npos) << npy.substr(0, 128);
  EXPECT_NE(slurp(out / "report.md").find("write explorer page"), std::string::npos);
}

TEST(CliDemo, SentenceEncoderOnASmallSliceNamesTheModelInTheReport) {
  const fs::path data = shared_dir() / "data" / "imdb-5000.jsonl";
  const fs::path model = shared_dir() / "fixtures" / "sbert" / "tiny-bert";
  EMB_REQUIRE_FIXTURE(data);
  EMB_REQUIRE_FIXTURE(model / "model.safetensors");
  const fs::path out = temp_dir() / "demo-sentence";
  const std::string spec = "sentence:" + model.string();
  const CliResult r = run_cli({"demo", "--data", data.string(), "--train-size", "20", "--test-size", "30", "--epochs",
                               "3", "--out", out.string(), "--encoder", spec});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string md = slurp(out / "report.md");
  EXPECT_NE(md.find("Encoder: " + spec + ": the pretrained sentence-transformers model"), std::string::npos) << md;
  // tiny-bert embeddings have 128 dimensions.
  EXPECT_NE(md.find("| raw (" + spec + ") | 128 |"), std::string::npos) << md;
  // The report and the terminal name the level the kernels ran at.
  EXPECT_NE(md.find("CPU kernels: " + kernel_isa() + " (this CPU runs generic"), std::string::npos) << md;
  EXPECT_NE(r.out.find("CPU kernels: " + kernel_isa()), std::string::npos) << r.out;
}

TEST(CliDemo, BodyAddsTheFinetunedTransformersSpace) {
  const fs::path data = shared_dir() / "data" / "imdb-5000.jsonl";
  const fs::path model = shared_dir() / "fixtures" / "sbert" / "tiny-bert";
  EMB_REQUIRE_FIXTURE(data);
  EMB_REQUIRE_FIXTURE(model / "model.safetensors");
  const fs::path out = temp_dir() / "demo-body";
  const CliResult r = run_cli({"demo", "--data", data.string(), "--train-size", "20", "--test-size", "30", "--epochs",
                               "3", "--out", out.string(), "--encoder", "sentence:" + model.string(), "--body",
                               "--body-iterations", "1", "--body-max-seq-length", "32"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out / "pca-finetuned-body.png"));
  const std::string md = slurp(out / "report.md");
  EXPECT_NE(md.find("| body-finetuned | 128 |"), std::string::npos) << md;
  EXPECT_NE(md.find("BodyFinetuner (the transformer itself): 1 rounds of SetFit's pairs (40)"), std::string::npos) << md;
  EXPECT_NE(md.find("finetune the transformer (40 pairs)"), std::string::npos) << md;

  CliInputs in;
  expect_bad_input(run_cli({"demo", "--data", in.labels_jsonl.string(), "--label-field", "meta.label", "--train-size",
                            "20", "--test-size", "30", "--encoder", "lite", "--body", "--out",
                            (in.dir / "body-lite").string()}),
                   {"--body finetunes a sentence-transformers model", "'lite'"}, in.dir / "body-lite");
}

TEST(CliDemo, BadInputExitsWithTwoNamesTheProblemAndWritesNothing) {
  const CliInputs in;
  const fs::path out = in.dir / "demo-out";
  expect_bad_input(run_cli({"demo", "--data", (in.dir / "none.jsonl").string(), "--out", out.string()}),
                   {"--data", "none.jsonl", "no such file"}, out);
  expect_bad_input(run_cli({"demo", "--data", in.labels_jsonl.string(), "--label-field", "meta.label", "--train-size",
                            "40", "--test-size", "100", "--out", out.string()}),
                   {"--data", "has 60 examples", "needs 140"}, out);
  expect_bad_input(run_cli({"demo", "--data", in.labels_jsonl.string(), "--label-field", "meta.label", "--train-size",
                            "10", "--test-size", "20", "--encoder", "word2vec", "--out", out.string()}),
                   {"--encoder word2vec", "unknown encoder", "lite"}, out);
  expect_bad_input(run_cli({"demo", "--data", in.labels_jsonl.string(), "--label-field", "nope", "--train-size", "10",
                            "--test-size", "20", "--out", out.string()}),
                   {"--data", "y.jsonl:1", "'nope'"}, out);
  expect_bad_input(run_cli({"demo", "--data", in.labels_jsonl.string(), "--label-field", "meta.label", "--encoder",
                            "lite:zero", "--train-size", "10", "--test-size", "20", "--out", out.string()}),
                   {"--encoder lite:zero", "positive number"}, out);
  expect_bad_input(run_cli({"demo", "--data", in.labels_jsonl.string(), "--label-field", "meta.label", "--encoder",
                            "sentence:" + (in.dir / "no-model").string(), "--train-size", "10", "--test-size", "20",
                            "--out", out.string()}),
                   {"--encoder sentence:", "no-model"}, out);
}

}  // namespace
}  // namespace emb::test
