// embetter (global options) and embetter pca, end to end.
#include <cmath>

#include "cli_runner.h"
#include "npy_bytes.h"

namespace emb::test {
namespace {

TEST(Cli, TopLevelHelpAndUsageErrors) {
  const CliResult top = run_cli({"--help"});
  EXPECT_EQ(top.code, 0);
  for (const char* word : {"pca", "--quiet", "--threads"}) EXPECT_NE(top.out.find(word), std::string::npos) << word;
  EXPECT_EQ(run_cli({}).code, 2);
  EXPECT_EQ(run_cli({"frobnicate"}).code, 2);
  EXPECT_EQ(run_cli({"--threads", "-3", "pca", "--help"}).code, 2);
}

TEST(CliPca, Help) {
  const CliResult r = run_cli({"pca", "--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* o : {"--in", "--labels", "--label-field", "--out", "--title", "--width", "--height"}) {
    EXPECT_NE(r.out.find(o), std::string::npos) << o;
  }
}

TEST(CliPca, DrawsPngAndSvgCharts) {
  const CliInputs in;
  const auto png = in.dir / "chart.png", svg = in.dir / "chart.svg";
  CliResult r = run_cli({"--threads", "1", "pca", "--in", in.x.string(), "--labels", in.labels.string(), "--out",
                         png.string(), "--title", "Two classes", "--width", "500", "--height", "400"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << "no progress bar when stderr is not a terminal";
  const std::string bytes = slurp(png);
  ASSERT_GT(bytes.size(), 24u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // IHDR holds width and height, big-endian, at bytes 16..23.
  auto be32 = [&](std::size_t at) {
    return (unsigned{static_cast<unsigned char>(bytes[at])} << 24) |
           (unsigned{static_cast<unsigned char>(bytes[at + 1])} << 16) |
           (unsigned{static_cast<unsigned char>(bytes[at + 2])} << 8) | unsigned{static_cast<unsigned char>(bytes[at + 3])};
  };
  EXPECT_EQ(be32(16), 500u);
  EXPECT_EQ(be32(20), 400u);

  r = run_cli({"--quiet", "pca", "--in", in.x.string(), "--labels", in.labels_jsonl.string(), "--label-field",
               "meta.label", "--out", svg.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, "");
  const std::string text = slurp(svg);
  EXPECT_NE(text.find("<svg"), std::string::npos);
  EXPECT_NE(text.find("<title>PCA of x.npy</title>"), std::string::npos);
  EXPECT_NE(text.find("Classes: a, b."), std::string::npos);
}

TEST(CliPca, BadInputExitsWithTwoNamesTheProblemAndWritesNothing) {
  const CliInputs in;
  const auto chart = in.dir / "bad.png";
  auto pca = [&](const std::filesystem::path& x, const std::filesystem::path& y, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"pca", "--in", x.string(), "--labels", y.string(), "--out", chart.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  };
  expect_bad_input(pca(in.dir / "missing.npy", in.labels), {"--in", "missing.npy", "no such file"}, chart);
  expect_bad_input(pca(in.x, in.dir / "missing.txt"), {"--labels", "missing.txt", "no such file"}, chart);

  const auto ints = in.dir / "ints.npy";
  write_bytes(ints, npy_bytes("<i4", false, {2, 2}, std::string(16, '\0')));
  expect_bad_input(pca(ints, in.labels), {"--in", "ints.npy", "'<i4'", "float32"}, chart);

  const auto fortran = in.dir / "fortran.npy";
  write_bytes(fortran, npy_bytes("<f4", true, {2, 2}, f32_bytes({1, 2, 3, 4})));
  expect_bad_input(pca(fortran, in.labels), {"--in", "fortran.npy", "ortran"}, chart);

  const auto truncated = in.dir / "truncated.npy";
  write_bytes(truncated, slurp(in.x).substr(0, 300));
  expect_bad_input(pca(truncated, in.labels), {"--in", "truncated.npy"}, chart);

  const auto nan = in.dir / "nan.npy";
  write_bytes(nan, npy_bytes("<f4", false, {2, 2}, f32_bytes({1, NAN, 3, 4})));
  expect_bad_input(pca(nan, in.labels), {"--in", "nan.npy", "NaN"}, chart);

  const auto short_labels = in.dir / "short.txt";
  write_bytes(short_labels, "a\nb\n");
  expect_bad_input(pca(in.x, short_labels), {"x.npy has 60 rows", "short.txt has 2 labels"}, chart);

  const auto gap = in.dir / "gap.txt";
  write_bytes(gap, "a\n\nb\n");
  expect_bad_input(pca(in.x, gap), {"--labels", "gap.txt", "line 2 is empty"}, chart);

  expect_bad_input(pca(in.x, in.labels_jsonl), {"--labels", "y.jsonl", "--label-field"}, chart);
  expect_bad_input(pca(in.x, in.labels_jsonl, {"--label-field", "nope"}), {"--labels", "y.jsonl:1", "'nope'"}, chart);

  expect_bad_input(run_cli({"pca", "--in", in.x.string(), "--labels", in.labels.string(), "--out",
                            (in.dir / "chart.jpg").string()}),
                   {"--out", "chart.jpg", ".png or .svg"}, in.dir / "chart.jpg");
  expect_bad_input(run_cli({"pca", "--in", in.x.string(), "--labels", in.labels.string(), "--out",
                            (in.dir / "no-folder" / "c.png").string()}),
                   {"--out", "does not exist"}, chart);
  expect_bad_input(run_cli({"pca", "--labels", in.labels.string(), "--out", chart.string()}), {"--in"}, chart);
}

}  // namespace
}  // namespace emb::test
