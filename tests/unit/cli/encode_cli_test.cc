// embetter encode on the tiny-bert fixture: rows must match the embeddings
// sentence-transformers gave for the same texts (golden.jsonl).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <thread>

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

// The golden texts that fit on one line of a .txt file.
Golden one_line_texts(const Golden& golden) {
  Golden g;
  for (std::size_t i = 0; i < golden.texts.size(); ++i) {
    if (golden.texts[i].find_first_of("\r\n") != std::string::npos) continue;
    g.texts.push_back(golden.texts[i]);
    g.embeddings.push_back(golden.embeddings[i]);
  }
  return g;
}

std::string text_lines(const Golden& golden) {
  std::string lines;
  for (const auto& t : golden.texts) lines += t + "\n";
  return lines;
}

// Texts are read, encoded and written a chunk at a time: the chunk size
// changes no byte of the output.
TEST(CliEncode, ChunkSizeChangesNoByte) {
  EMB_REQUIRE_FIXTURE(tiny_bert() / "golden.jsonl");
  const Golden golden = read_golden(tiny_bert() / "golden.jsonl");
  const Golden lines = one_line_texts(golden);
  const fs::path txt = temp_dir() / "chunks.txt";
  write_bytes(txt, text_lines(lines));
  for (const fs::path& in : {tiny_bert() / "golden.jsonl", txt}) {
    std::string first;
    for (const char* chunk : {"1000000", "1", "7", "64"}) {
      const fs::path out = temp_dir() / (std::string("chunk-") + chunk + ".npy");
      const CliResult r = run_cli({"--quiet", "encode", "--model", tiny_bert().string(), "--in", in.string(), "--out",
                                   out.string(), "--chunk-size", chunk, "--batch-size", "5"});
      ASSERT_EQ(r.code, 0) << r.err;
      if (first.empty()) {
        first = slurp(out);
        const Golden& expected = in == txt ? lines : golden;
        expect_rows_match(read_npy(out), expected, expected.texts.size());
      } else {
        EXPECT_TRUE(slurp(out) == first) << in << ", --chunk-size " << chunk;
      }
    }
  }
}

// A file is checked line by line before the model is loaded: a bad line far
// into it fails at once, naming the file and the line.
TEST(CliEncode, BadLineLateInAFileFailsBeforeEncoding) {
  EMB_REQUIRE_FIXTURE(tiny_bert() / "model.safetensors");
  const fs::path dir = temp_dir() / "encode-late";
  fs::create_directories(dir);
  std::string jsonl;
  for (int i = 0; i < 12344; ++i) jsonl += "{\"text\": \"fine\"}\n";
  write_bytes(dir / "late.jsonl", jsonl + "{\"text\": \"caf\xC3\"}\n");
  const fs::path out = dir / "late.npy";
  const CliResult r = run_cli({"encode", "--model", tiny_bert().string(), "--in", (dir / "late.jsonl").string(),
                               "--out", out.string(), "--chunk-size", "100"});
  expect_bad_input(r, {"--in", "late.jsonl:12345", "not valid UTF-8"}, out);
  EXPECT_EQ(r.err.find("encoding"), std::string::npos) << r.err;
}

// A pipe is read once: its lines are encoded as they come, and a bad line
// after chunks already written leaves no output (nor temporary file).
class FifoFeeder {
 public:
  FifoFeeder(const fs::path& fifo, std::string content) : fifo_(fifo) {
    std::signal(SIGPIPE, SIG_IGN);
    fs::remove(fifo);
    EXPECT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    // Opening a FIFO to write blocks until the reader (embetter) opens it; the
    // content stays under the 64 KiB pipe buffer, so the write never waits.
    EXPECT_LT(content.size(), 60000u);
    writer_ = std::thread([this, content = std::move(content)] { std::ofstream(fifo_, std::ios::binary) << content; });
  }
  ~FifoFeeder() {
    // Unblocks the writer if embetter never opened the FIFO.
    const int fd = ::open(fifo_.c_str(), O_RDONLY | O_NONBLOCK);
    writer_.join();
    if (fd >= 0) ::close(fd);
  }

 private:
  fs::path fifo_;
  std::thread writer_;
};

TEST(CliEncode, PipeIsStreamedAndABadLineMidwayWritesNothing) {
  EMB_REQUIRE_FIXTURE(tiny_bert() / "golden.jsonl");
  const Golden golden = one_line_texts(read_golden(tiny_bert() / "golden.jsonl"));
  const fs::path dir = temp_dir() / "encode-pipe";
  fs::create_directories(dir);
  const fs::path fifo = dir / "texts.fifo", out = dir / "pipe.npy";
  {
    FifoFeeder feeder(fifo, text_lines(golden));
    const CliResult r = run_cli({"--quiet", "encode", "--model", tiny_bert().string(), "--in", fifo.string(), "--out",
                                 out.string(), "--chunk-size", "10"});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  expect_rows_match(read_npy(out), golden, golden.texts.size());
  fs::remove(out);
  {
    FifoFeeder feeder(fifo, "one\ntwo\nthree\nfour\nfive\ncaf\xC3\nseven\n");
    const CliResult r = run_cli({"encode", "--model", tiny_bert().string(), "--in", fifo.string(), "--out",
                                 out.string(), "--chunk-size", "2"});
    expect_bad_input(r, {"--in", "texts.fifo:6", "not valid UTF-8"}, out);
    EXPECT_NE(r.err.find("encoding"), std::string::npos) << r.err;  // it failed midway
  }
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

TEST(CliEncode, WhiteSpaceOnlyTextsAreAnErrorAloneAndANoteAmongOthers) {
  EMB_REQUIRE_FIXTURE(tiny_bert() / "model.safetensors");
  const fs::path dir = temp_dir() / "encode-blank";
  fs::create_directories(dir);
  const fs::path out = dir / "x.npy";
  const std::string model = tiny_bert().string();
  // Found by mutation: such a file was encoded, exit 0, as rows of no word.
  write_bytes(dir / "blank.txt", "   \n\t\n\xE3\x80\x80\n");  // spaces, a tab, an ideographic space
  expect_bad_input(run_cli({"encode", "--model", model, "--in", (dir / "blank.txt").string(), "--out", out.string()}),
                   {"--in", "blank.txt", "all 3 texts are white space only"}, out);
  write_bytes(dir / "blank.jsonl", "{\"text\": \" \"}\n");
  expect_bad_input(run_cli({"encode", "--model", model, "--in", (dir / "blank.jsonl").string(), "--out", out.string()}),
                   {"--in", "blank.jsonl", "all 1 texts are white space only"}, out);
  write_bytes(dir / "some.txt", "a text\n \n");
  const CliResult r = run_cli({"encode", "--model", model, "--in", (dir / "some.txt").string(), "--out", out.string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("1 texts were white space only"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(out));
}

}  // namespace
}  // namespace emb::test
