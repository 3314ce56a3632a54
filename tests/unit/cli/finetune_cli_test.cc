// embetter finetune, end to end.
#include <cmath>
#include <cstring>

#include "cli_runner.h"
#include "embetter/feed_forward_tuner.h"
#include "embetter/npy.h"
#include "npy_bytes.h"

namespace emb::test {
namespace {

namespace fs = std::filesystem;

TEST(CliFinetune, Help) {
  const CliResult r = run_cli({"finetune", "--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* o : {"--train", "--labels", "--label-field", "--apply", "--out", "--save", "--hidden-dim", "--epochs",
                        "--learning-rate", "--batch-size", "--seed", "--objective"}) {
    EXPECT_NE(r.out.find(o), std::string::npos) << o;
  }
  EXPECT_NE(run_cli({"--help"}).out.find("finetune"), std::string::npos);
}

TEST(CliFinetune, WritesTheTunedEmbeddingsAndALoadableTuner) {
  const CliInputs in;
  const fs::path out = in.dir / "z_tuned.npy", save = in.dir / "tuner.safetensors";
  const CliResult r = run_cli({"finetune", "--train", in.x.string(), "--labels", in.labels.string(), "--apply",
                               in.z.string(), "--out", out.string(), "--save", save.string(), "--hidden-dim", "4",
                               "--epochs", "30", "--seed", "3"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << "no progress bar when stderr is not a terminal";
  const Matrix tuned = read_npy(out);
  ASSERT_EQ(tuned.rows(), 10u);
  ASSERT_EQ(tuned.cols(), 4u);
  for (std::size_t i = 0; i < tuned.size(); ++i) {
    EXPECT_GT(tuned.data()[i], 0.0f);  // sigmoid activations
    EXPECT_LT(tuned.data()[i], 1.0f);
  }
  const FeedForwardTuner tuner = FeedForwardTuner::load(save);
  EXPECT_EQ(tuner.classes(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(tuner.params().hidden_dim, 4);
  EXPECT_EQ(tuner.transform(read_npy(in.z)), tuned);

  // The same seed gives the same tuner, bitwise.
  const fs::path again = in.dir / "again.npy";
  ASSERT_EQ(run_cli({"--quiet", "finetune", "--train", in.x.string(), "--labels", in.labels.string(), "--apply",
                     in.z.string(), "--out", again.string(), "--hidden-dim", "4", "--epochs", "30", "--seed", "3"})
                .code,
            0);
  EXPECT_EQ(read_npy(again), tuned);
}

TEST(CliFinetune, TheObjectiveIsTheOriginalsUnlessAsked) {
  const CliInputs in;
  for (const auto& [flag, expected] : std::vector<std::pair<std::vector<std::string>, FeedForwardObjective>>{
           {{}, FeedForwardObjective::sigmoid_cross_entropy},
           {{"--objective", "softmax_ce"}, FeedForwardObjective::softmax_cross_entropy}}) {
    const fs::path save = in.dir / "objective.safetensors";
    std::vector<std::string> args = {"--quiet", "finetune", "--train", in.x.string(), "--labels", in.labels.string(),
                                     "--save", save.string(), "--epochs", "2", "--seed", "1"};
    args.insert(args.end(), flag.begin(), flag.end());
    const CliResult r = run_cli(args);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(FeedForwardTuner::load(save).params().objective, expected);
  }
}

TEST(CliFinetune, ReadsJsonlLabelsAndIsQuietWhenAsked) {
  const CliInputs in;
  const fs::path out = in.dir / "tuned.npy";
  const CliResult r = run_cli({"--quiet", "finetune", "--train", in.x.string(), "--labels", in.labels_jsonl.string(),
                               "--label-field", "meta.label", "--apply", in.x.string(), "--out", out.string(),
                               "--epochs", "5", "--seed", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(read_npy(out).rows(), in.n);
  EXPECT_EQ(read_npy(out).cols(), 50u);  // FeedForwardTuner's default hidden_dim
}

TEST(CliFinetune, BadInputExitsWithTwoNamesTheProblemAndWritesNothing) {
  const CliInputs in;
  const fs::path out = in.dir / "bad_out.npy";
  auto finetune = [&](const fs::path& x, const fs::path& y, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"finetune", "--train", x.string(), "--labels", y.string(), "--apply",
                                     in.z.string(), "--out", out.string(), "--epochs", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  };
  expect_bad_input(finetune(in.dir / "missing.npy", in.labels), {"--train", "missing.npy", "no such file"}, out);

  const fs::path f8_nan = in.dir / "nan.npy";
  std::string doubles(8 * 4, '\0');
  const double values[4] = {1.0, NAN, 3.0, 4.0};
  std::memcpy(doubles.data(), values, sizeof values);
  write_bytes(f8_nan, npy_bytes("<f8", false, {2, 2}, doubles));
  expect_bad_input(finetune(f8_nan, in.labels), {"--train", "nan.npy", "NaN"}, out);

  // A header of 50 MB used to go to stderr whole.
  const fs::path huge_header = in.dir / "huge.npy";
  const std::string header = "{'descr': '<f4', " + std::string(5'000'000, 'y') + "}\n";
  const auto len = static_cast<std::uint32_t>(header.size());
  std::string v2 = std::string("\x93NUMPY\x02\x00", 8) + std::string(reinterpret_cast<const char*>(&len), 4) + header;
  write_bytes(huge_header, v2 + f32_bytes({1, 2, 3, 4}));
  const CliResult huge = finetune(huge_header, in.labels);
  expect_bad_input(huge, {"--train", "huge.npy", ".npy header"}, out);
  EXPECT_LT(huge.err.size(), 1024u);

  // CLI11's own range checks printed the largest double in full (309 digits).
  for (const auto& [option, value] : std::vector<std::pair<std::string, std::string>>{
           {"--learning-rate", "0"}, {"--learning-rate", "nan"}, {"--seed", "-1"}}) {
    const CliResult r = finetune(in.x, in.labels, {option, value});
    expect_bad_input(r, {option, "got '" + value + "'"}, out);
    EXPECT_LT(r.err.size(), 200u) << r.err;
  }

  expect_bad_input(finetune(in.x, in.labels, {"--objective", "hinge"}), {"--objective", "hinge", "sigmoid_ce"}, out);

  const fs::path u8 = in.dir / "bytes.npy";
  write_bytes(u8, npy_bytes("|u1", false, {2, 2}, std::string(4, '\0')));
  expect_bad_input(finetune(u8, in.labels), {"--train", "bytes.npy", "'|u1'"}, out);

  const fs::path short_labels = in.dir / "short.txt";
  write_bytes(short_labels, "a\nb\n");
  expect_bad_input(finetune(in.x, short_labels), {"--train", "x.npy has 60 rows", "--labels", "short.txt has 2 labels"},
                   out);

  const fs::path one_class = in.dir / "one.txt";
  std::string ones;
  for (std::size_t i = 0; i < in.n; ++i) ones += "pos\n";
  write_bytes(one_class, ones);
  expect_bad_input(finetune(in.x, one_class), {"--labels", "one.txt", "only one class ('pos')"}, out);

  const fs::path wide = in.dir / "wide.npy";
  write_bytes(wide, npy_bytes("<f4", false, {1, 3}, f32_bytes({1, 2, 3})));
  expect_bad_input(run_cli({"finetune", "--train", in.x.string(), "--labels", in.labels.string(), "--apply",
                            wide.string(), "--out", out.string()}),
                   {"--apply", "wide.npy has 3 columns", "has 8"}, out);
  expect_bad_input(run_cli({"finetune", "--train", in.x.string(), "--labels", in.labels.string()}),
                   {"nothing to write"}, out);
  expect_bad_input(run_cli({"finetune", "--train", in.x.string(), "--labels", in.labels.string(), "--out", out.string()}),
                   {"--out needs --apply"}, out);
  expect_bad_input(run_cli({"finetune", "--train", in.x.string(), "--labels", in.labels.string(), "--apply",
                            in.z.string(), "--out", (in.dir / "z.txt").string()}),
                   {"--out", "z.txt", ".npy"}, in.dir / "z.txt");
  expect_bad_input(finetune(in.x, in.labels, {"--epochs", "0"}), {"--epochs"}, out);
  expect_bad_input(finetune(in.x, in.labels, {"--learning-rate", "-1"}), {"--learning-rate"}, out);
  expect_bad_input(run_cli({"finetune", "--labels", in.labels.string(), "--save", (in.dir / "t.safetensors").string()}),
                   {"--train"}, in.dir / "t.safetensors");
  expect_bad_input(finetune(in.x, in.labels, {"--save", (in.dir / "t.bin").string()}), {"--save", "t.bin", ".safetensors"},
                   in.dir / "t.bin");
}

}  // namespace
}  // namespace emb::test
