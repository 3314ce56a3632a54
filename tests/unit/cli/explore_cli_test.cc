// embetter explore end to end, and the explorer's labels file fed to embetter finetune.
#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "embetter/feed_forward_tuner.h"
#include "embetter/npy.h"
#include "npy_bytes.h"

namespace emb::test {
namespace {

namespace fs = std::filesystem;

TEST(CliExplore, Help) {
  const CliResult r = run_cli({"explore", "--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* o : {"--data", "--embeddings", "--tuned", "--out", "--text-field", "--label-field", "--title"})
    EXPECT_NE(r.out.find(o), std::string::npos) << o;
  EXPECT_NE(run_cli({"finetune", "--help"}).out.find("--row-field"), std::string::npos);
}

TEST(CliExplore, WritesThePageWithBothSpaces) {
  const CliInputs in;
  const fs::path page = in.dir / "page.html";
  const CliResult r = run_cli({"explore", "--data", in.labels_jsonl.string(), "--label-field", "meta.label",
                               "--embeddings", in.x.string(), "--tuned", in.x.string(), "--out", page.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("wrote " + page.string() + " (60 texts, 2 spaces)"), std::string::npos) << r.err;
  const std::string html = slurp(page);
  EXPECT_NE(html.find("\"texts\":[\"t0\",\"t1\""), std::string::npos);
  EXPECT_NE(html.find("\"classes\":[\"a\",\"b\"],\"label_index\":[0,1,0,1"), std::string::npos);
  EXPECT_NE(html.find("{\"name\":\"raw\""), std::string::npos);
  EXPECT_NE(html.find("{\"name\":\"tuned\""), std::string::npos);
  EXPECT_NE(html.find("<title>embetter explorer: y.jsonl</title>"), std::string::npos);
}

TEST(CliExplore, BadInputsNameTheOption) {
  const CliInputs in;
  const fs::path page = in.dir / "page.html";
  expect_bad_input(run_cli({"explore", "--data", in.labels_jsonl.string(), "--embeddings", in.x.string(), "--tuned",
                            in.z.string(), "--out", page.string()}),
                   {"--tuned " + in.z.string(), "has 10 rows", "60 texts"}, page);
  expect_bad_input(run_cli({"explore", "--data", in.labels_jsonl.string(), "--embeddings", in.x.string(), "--out",
                            (in.dir / "page.png").string()}),
                   {"--out", ".html"}, in.dir / "page.png");
  expect_bad_input(run_cli({"explore", "--data", in.labels_jsonl.string(), "--label-field", "nope", "--embeddings",
                            in.x.string(), "--out", page.string()}),
                   {"--data", "nope"}, page);
}

/// The explorer's download for the rows of CliInputs: every third row unlabelled.
fs::path write_explorer_labels(const CliInputs& in, std::vector<std::size_t>& rows, std::string& lines) {
  std::string jsonl;
  for (std::size_t i = 0; i < in.n; ++i) {
    const std::string label = i % 3 == 2 ? "" : (i % 2 ? "b" : "a");
    std::string text = "t";  // (not "t" + to_string: GCC 12 warns falsely on it)
    text += std::to_string(i);
    jsonl += nlohmann::json({{"text", text}, {"label", label}, {"row", i}}).dump() + "\n";
    if (label.empty()) continue;
    rows.push_back(i);
    lines += label + "\n";
  }
  const fs::path path = in.dir / "labels.jsonl";
  write_bytes(path, jsonl);
  return path;
}

TEST(CliExplore, FinetuneTrainsOnTheLabelledRowsOfTheDownload) {
  const CliInputs in;
  std::vector<std::size_t> rows;
  std::string lines;
  const fs::path labels = write_explorer_labels(in, rows, lines);
  const fs::path save = in.dir / "from_download.safetensors";
  const CliResult r = run_cli({"finetune", "--train", in.x.string(), "--labels", labels.string(), "--label-field",
                               "label", "--row-field", "row", "--hidden-dim", "3", "--epochs", "20", "--seed", "1",
                               "--save", save.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("training on the 40 labelled rows"), std::string::npos) << r.err;
  // The same tuner as one trained on just those rows and labels.
  const Matrix picked = read_npy(in.x).select_rows(rows);
  const fs::path x_picked = in.dir / "picked.npy", y_picked = in.dir / "picked.txt", same = in.dir / "same.safetensors";
  write_npy(x_picked, picked);
  write_bytes(y_picked, lines);
  ASSERT_EQ(run_cli({"finetune", "--train", x_picked.string(), "--labels", y_picked.string(), "--hidden-dim", "3",
                     "--epochs", "20", "--seed", "1", "--save", same.string()})
                .code,
            0);
  EXPECT_EQ(slurp(save), slurp(same));
}

TEST(CliExplore, FinetuneRowFieldErrors) {
  const CliInputs in;
  const fs::path save = in.dir / "t.safetensors";
  const auto finetune = [&](const std::string& jsonl) {
    const fs::path labels = in.dir / "bad.jsonl";
    write_bytes(labels, jsonl);
    return run_cli({"finetune", "--train", in.x.string(), "--labels", labels.string(), "--label-field", "label",
                    "--row-field", "row", "--save", save.string()});
  };
  expect_bad_input(finetune("{\"label\": \"a\", \"row\": 0}\n{\"label\": \"b\", \"row\": 60}\n"),
                   {"--labels", "'row' 60 is past the last row", "60 rows"}, save);
  expect_bad_input(finetune("{\"label\": \"a\", \"row\": 1}\n{\"label\": \"b\", \"row\": 1}\n"),
                   {"row 1 is labelled twice"}, save);
  expect_bad_input(finetune("{\"label\": \"\", \"row\": 1}\n"), {"no line has a label"}, save);
  expect_bad_input(finetune("{\"label\": \"a\", \"row\": -1}\n"), {"bad.jsonl:1", "expected a row index"}, save);
  expect_bad_input(finetune("{\"label\": \"a\"}\n"), {"bad.jsonl:1", "no field 'row'"}, save);
  expect_bad_input(finetune("{\"label\": \"a\", \"row\": 0}\n{\"label\": \"a\", \"row\": 2}\n"), {"only one class"}, save);
}

}  // namespace
}  // namespace emb::test
