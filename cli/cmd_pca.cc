// embetter pca: a 2-D PCA scatter chart of embeddings coloured by label.
#include <memory>

#include "commands.h"
#include "embetter/error.h"
#include "embetter/pca.h"
#include "embetter/plot.h"
#include "inputs.h"
#include "report.h"

namespace emb::cli {
namespace {

struct PcaOptions {
  std::string in, labels, label_field, out, title;
  int width = 800, height = 600;
};

void run_pca(const PcaOptions& o, const GlobalOptions& global) {
  const Console console(global);
  check_output_path(o.out, "--out", {".png", ".svg"});
  const Matrix X = load_embeddings(o.in, "--in");
  const std::vector<std::string> y = load_labels(o.labels, o.label_field, "--labels");
  check_rows_match(X, describe("--in", o.in), y, describe("--labels", o.labels));
  EMB_CHECK(X.rows() >= 2 && X.cols() >= 2, describe("--in", o.in), " has shape [", X.rows(), ", ", X.cols(),
            "]; a 2-D PCA needs at least 2 rows and 2 columns");

  Pca pca(2);
  const Matrix points = pca.fit_transform(X);
  const std::vector<float> ratio = pca.explained_variance_ratio();
  ScatterOptions chart;
  chart.title = o.title.empty() ? "PCA of " + std::filesystem::path(o.in).filename().string() : o.title;
  chart.x_label = "PC 1 (" + variance_percent(ratio[0]) + " of the variance)";
  chart.y_label = "PC 2 (" + variance_percent(ratio[1]) + ")";
  chart.width = o.width;
  chart.height = o.height;
  write_scatter(o.out, points, y, chart);
  console.step("wrote " + o.out);
}

}  // namespace

Command add_pca_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<PcaOptions>();
  CLI::App* cmd = app.add_subcommand("pca", "Draw a 2-D PCA chart of embeddings coloured by label");
  cmd->add_option("--in", o->in, "Embeddings, .npy (float32/float64, n x d)")->required();
  cmd->add_option("--labels", o->labels, "Labels: .txt (one per line) or .jsonl (with --label-field)")->required();
  cmd->add_option("--label-field", o->label_field, "Field of the .jsonl labels file holding the label");
  cmd->add_option("--out", o->out, "The chart to write: .png or .svg")->required();
  cmd->add_option("--title", o->title, "Chart title (default: PCA of <file>)");
  cmd->add_option("--width", o->width, "Width in pixels")->capture_default_str()->check(CLI::Range(100, 10000));
  cmd->add_option("--height", o->height, "Height in pixels")->capture_default_str()->check(CLI::Range(100, 10000));
  return [o, &global] { run_pca(*o, global); };
}

}  // namespace emb::cli
