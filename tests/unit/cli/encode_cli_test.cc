// embetter encode on the tiny-bert fixture: rows must match the embeddings
// sentence-transformers gave for the same texts (golden.jsonl).
#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "embetter/npy.h"
#include "support/test_support.h"

namespace emb::test {
namespace {

namespace fs = std::filesystem;

struct Golden {
  std::vector<std::string> texts;
  std::vector<std::vector<float>> embeddings;
};

Golden read_golden(const fs::path& path) {
  Golden g;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const nlohmann::json row = nlohmann::json::parse(line);
    g.texts.push_back(row.at("text").get<std::string>());
    g.embeddings.push_back(row.at("embedding").get<std::vector<float>>());
  }
  return g;
}

void expect_rows_match(const Matrix& got, const Golden& golden, std::size_t n) {
  ASSERT_EQ(got.rows(), n);
  ASSERT_EQ(got.cols(), golden.embeddings[0].size());
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t c = 0; c < got.cols(); ++c) {
      ASSERT_NEAR(got.row(r)[c], golden.embeddings[r][c], 1e-4) << "row " << r << " column " << c;
    }
  }
}

fs::path tiny_bert() { return shared_dir() / "fixtures" / "sbert" / "tiny-bert"; }

TEST(CliEncode, JsonlRowsMatchSentenceTransformers) {
  EMB_REQUIRE_FIXTURE(tiny_bert() / "golden.jsonl");
  const Golden golden = read_golden(tiny_bert() / "golden.jsonl");
  const fs::path out = temp_dir() / "golden.npy";
  // A batch size that does not divide the number of texts: order must survive batching.
  const CliResult r = run_cli({"encode", "--model", tiny_bert().string(), "--in", (tiny_bert() / "golden.jsonl").string(),
                               "--out", out.string(), "--batch-size", "7"});
  ASSERT_EQ(r.code, 0) << r.err;
  expect_rows_match(read_npy(out), golden, golden.texts.size());
}

TEST(CliEncode, TextFileOneTextPerLine) {
  EMB_REQUIRE_FIXTURE(tiny_bert() / "golden.jsonl");
  const Golden golden = read_golden(tiny_bert() / "golden.jsonl");
  const fs::path in = temp_dir() / "texts.txt";
  std::string lines;
  for (std::size_t i = 0; i < 5; ++i) lines += golden.texts[i] + "\n";
  write_bytes(in, lines);
  const fs::path out = temp_dir() / "texts.npy";
  const CliResult r = run_cli({"--quiet", "encode", "--model", tiny_bert().string(), "--in", in.string(), "--out",
                               out.string(), "--normalize"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // --quiet
  expect_rows_match(read_npy(out), golden, 5);  // the model normalises already: --normalize changes nothing
}

TEST(CliEncode, BadInputExitsWithTwoNamesTheProblemAndWritesNothing) {
  EMB_REQUIRE_FIXTURE(tiny_bert() / "model.safetensors");
  const fs::path dir = temp_dir() / "encode-bad";
  fs::create_directories(dir);
  const fs::path out = dir / "x.npy";
  const std::string model = tiny_bert().string();
  expect_bad_input(run_cli({"encode", "--model", model, "--in", (dir / "none.txt").string(), "--out", out.string()}),
                   {"--in", "none.txt", "no such file"}, out);
  write_bytes(dir / "empty.txt", "");
  expect_bad_input(run_cli({"encode", "--model", model, "--in", (dir / "empty.txt").string(), "--out", out.string()}),
                   {"--in", "empty.txt", "empty"}, out);
  write_bytes(dir / "t.jsonl", "{\"body\": \"a text\"}\n");
  expect_bad_input(run_cli({"encode", "--model", model, "--in", (dir / "t.jsonl").string(), "--out", out.string()}),
                   {"--in", "t.jsonl:1", "'text'"}, out);
  write_bytes(dir / "t.txt", "a text\n");
  expect_bad_input(run_cli({"encode", "--model", model, "--in", (dir / "t.txt").string(), "--out",
                            (dir / "x.csv").string()}),
                   {"--out", "x.csv", ".npy"}, dir / "x.csv");
  // Offline with an empty cache: the model cannot be found and nothing is downloaded.
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  ::setenv("HF_HUB_CACHE", (dir / "empty-cache").string().c_str(), 1);
  const CliResult missing =
      run_cli({"encode", "--model", "no-such-org/no-such-model", "--in", (dir / "t.txt").string(), "--out", out.string()});
  ::unsetenv("HF_HUB_OFFLINE");
  ::unsetenv("HF_HUB_CACHE");
  expect_bad_input(missing, {"--model no-such-org/no-such-model"}, out);
}

}  // namespace
}  // namespace emb::test
