#pragma once
// The demo's report, as Markdown and as HTML (the HTML shows the PNG charts,
// which sit next to it in the output folder).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace emb::cli {

/// One embedding the demo evaluated: the raw encoder output or a tuned one.
struct EmbeddingOutcome {
  std::string name;        // e.g. "finetuned, hidden_dim=200"
  std::string chart_file;  // file name of its PCA chart in the output folder
  std::size_t dims = 0;
  double accuracy = 0.0;    // logistic regression fitted on train, scored on test
  double silhouette = 0.0;  // of the 2-D PCA points of the test set, by label
};

struct StepTiming {
  std::string step;
  double seconds = 0.0;
};

struct DemoReport {
  std::string data_file;
  std::size_t data_rows = 0;
  std::string text_field, label_field;
  std::uint64_t seed = 0;
  std::size_t train_size = 0, test_size = 0;
  std::string class_counts;  // e.g. "neg 993, pos 1007" (test set)
  std::string encoder;       // how the texts were encoded
  std::string kernels;       // the instruction-set level the kernels ran at, e.g. "avx2 (this CPU runs generic, avx2)"
  std::string tuners;        // the tuners' settings
  std::vector<EmbeddingOutcome> outcomes;  // outcomes[0] is the raw embedding
  std::vector<StepTiming> timings;
};

/// Plain sentences comparing each tuned embedding with the raw one:
/// whether accuracy went up or down (by how many points) and whether the
/// classes separate better in the PCA chart.
std::vector<std::string> verdicts(const DemoReport& report);

/// "accuracy 69.30%, silhouette 0.0149", for status lines.
std::string summary_line(const EmbeddingOutcome& outcome);

/// A fraction of variance as a percentage for axis labels: "54%", "3.2%", "0.4%".
std::string variance_percent(double fraction);

/// The results table as aligned plain text, for the terminal.
std::string results_table(const DemoReport& report);

std::string render_markdown(const DemoReport& report);
std::string render_html(const DemoReport& report);

}  // namespace emb::cli
