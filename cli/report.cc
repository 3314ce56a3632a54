#include "report.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "io/markup.h"

namespace emb::cli {
namespace {

std::string fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string s = buf;
  // "-0.000" says a sign the rounded number does not have.
  if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s.erase(0, 1);
  return s;
}

std::string percent(double fraction) { return fixed(100.0 * fraction, 2) + "%"; }

double total_seconds(const DemoReport& r) {
  double total = 0.0;
  for (const StepTiming& t : r.timings) total += t.seconds;
  return total;
}

std::string setup_sentence(const DemoReport& r) {
  return "Data: " + r.data_file + " (" + std::to_string(r.data_rows) + " rows; text field '" + r.text_field +
         "', label field '" + r.label_field + "'). A shuffle seeded with " + std::to_string(r.seed) + " gives " +
         std::to_string(r.train_size) + " training and " + std::to_string(r.test_size) + " test examples (test: " +
         r.class_counts + ").";
}

const char* kMethod =
    "Accuracy: LogisticRegression with scikit-learn's defaults (L2, C=1) fitted on the training embeddings and "
    "scored on the test embeddings. Silhouette: euclidean silhouette of the test set's 2-D PCA points (PCA fitted "
    "on the test embeddings, as in the charts) grouped by label; higher means the classes separate better in the "
    "picture.";

}  // namespace

std::vector<std::string> verdicts(const DemoReport& r) {
  std::vector<std::string> out;
  if (r.outcomes.empty()) return out;
  const EmbeddingOutcome& raw = r.outcomes.front();
  for (std::size_t i = 1; i < r.outcomes.size(); ++i) {
    const EmbeddingOutcome& tuned = r.outcomes[i];
    const double points = 100.0 * (tuned.accuracy - raw.accuracy);
    std::string s = "Tuning (" + tuned.name + ") ";
    if (std::abs(points) < 0.005) {
      s += "left the test accuracy unchanged at " + percent(raw.accuracy);
    } else {
      s += std::string(points > 0 ? "raised" : "lowered") + " the test accuracy from " + percent(raw.accuracy) +
           " to " + percent(tuned.accuracy) + " (" + (points > 0 ? "+" : "\u2212") + fixed(std::abs(points), 2) +
           " points)";
    }
    const bool better = tuned.silhouette > raw.silhouette;
    s += std::string(better ? " and raised" : tuned.silhouette < raw.silhouette ? " and lowered" : " and left") +
         " the PCA silhouette from " + fixed(raw.silhouette, 3) + " to " + fixed(tuned.silhouette, 3) + ": the classes " +
         (better ? "separate better" : "do not separate better") + " in the chart.";
    out.push_back(s);
  }
  return out;
}

std::string summary_line(const EmbeddingOutcome& o) {
  return "accuracy " + percent(o.accuracy) + ", silhouette " + fixed(o.silhouette, 4);
}

std::string variance_percent(double fraction) {
  // Whole percents between 10 and 99; a decimal below, and above, so that a
  // dominant component reads 99.6%, not a misleading 100%.
  const double p = 100.0 * fraction;
  return fixed(p, p >= 9.95 && p < 99.5 ? 0 : 1) + "%";
}

std::string results_table(const DemoReport& r) {
  std::ostringstream os;
  char line[256];
  std::snprintf(line, sizeof line, "%-30s %6s %10s %11s\n", "embedding", "dims", "accuracy", "silhouette");
  os << line;
  for (const EmbeddingOutcome& o : r.outcomes) {
    std::snprintf(line, sizeof line, "%-30s %6zu %9.2f%% %11.4f\n", o.name.c_str(), o.dims, 100.0 * o.accuracy,
                  o.silhouette);
    os << line;
  }
  return os.str();
}

std::string render_markdown(const DemoReport& r) {
  std::ostringstream md;
  md << "# embetter demo: finetuning embeddings with " << r.train_size << " labelled examples\n\n";
  md << setup_sentence(r) << "\n\n";
  md << "Encoder: " << r.encoder << ".\n\n";
  md << "CPU kernels: " << r.kernels << ".\n\n";
  md << "Tuners: " << r.tuners << ".\n\n";
  md << "## Results\n\n";
  md << "| embedding | dims | logistic regression test accuracy | silhouette of the 2-D PCA points |\n";
  md << "|---|---:|---:|---:|\n";
  for (const EmbeddingOutcome& o : r.outcomes) {
    md << "| " << o.name << " | " << o.dims << " | " << percent(o.accuracy) << " | " << fixed(o.silhouette, 4)
       << " |\n";
  }
  md << "\n";
  for (const std::string& v : verdicts(r)) md << "- " << v << "\n";
  md << "\n" << kMethod << "\n\n";
  md << "## Charts\n\n";
  for (const EmbeddingOutcome& o : r.outcomes) md << "![PCA of the test set, " << o.name << "](" << o.chart_file << ")\n\n";
  md << "## Time of each step\n\n| step | seconds |\n|---|---:|\n";
  for (const StepTiming& t : r.timings) md << "| " << t.step << " | " << fixed(t.seconds, 3) << " |\n";
  md << "| total | " << fixed(total_seconds(r), 3) << " |\n";
  return md.str();
}

std::string render_html(const DemoReport& r) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<title>embetter demo report</title>\n<style>\n"
    << "body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:900px;margin:2em auto;padding:0 1em;color:#222}\n"
    << "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.35em .7em}"
    << "td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f4f4f4}\n"
    << "figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #eee}figcaption{color:#555}\n"
    << "</style>\n</head>\n<body>\n";
  h << "<h1>embetter demo: finetuning embeddings with " << r.train_size << " labelled examples</h1>\n";
  h << "<p>" << io::escape_markup(setup_sentence(r)) << "</p>\n";
  h << "<p>Encoder: " << io::escape_markup(r.encoder) << ".</p>\n";
  h << "<p>CPU kernels: " << io::escape_markup(r.kernels) << ".</p>\n";
  h << "<p>Tuners: " << io::escape_markup(r.tuners) << ".</p>\n";
  h << "<h2>Results</h2>\n<table>\n<tr><th>embedding</th><th>dims</th><th>logistic regression test accuracy</th>"
    << "<th>silhouette of the 2-D PCA points</th></tr>\n";
  for (const EmbeddingOutcome& o : r.outcomes) {
    h << "<tr><td>" << io::escape_markup(o.name) << "</td><td class=\"n\">" << o.dims << "</td><td class=\"n\">"
      << percent(o.accuracy) << "</td><td class=\"n\">" << fixed(o.silhouette, 4) << "</td></tr>\n";
  }
  h << "</table>\n<ul>\n";
  for (const std::string& v : verdicts(r)) h << "<li>" << io::escape_markup(v) << "</li>\n";
  h << "</ul>\n<p>" << io::escape_markup(kMethod) << "</p>\n<h2>Charts</h2>\n";
  for (const EmbeddingOutcome& o : r.outcomes) {
    h << "<figure><img src=\"" << io::escape_markup(o.chart_file) << "\" alt=\"PCA of the test set, " << io::escape_markup(o.name)
      << "\"><figcaption>" << io::escape_markup(o.name) << ": silhouette " << fixed(o.silhouette, 4) << ", accuracy "
      << percent(o.accuracy) << "</figcaption></figure>\n";
  }
  h << "<h2>Time of each step</h2>\n<table>\n<tr><th>step</th><th>seconds</th></tr>\n";
  for (const StepTiming& t : r.timings) {
    h << "<tr><td>" << io::escape_markup(t.step) << "</td><td class=\"n\">" << fixed(t.seconds, 3) << "</td></tr>\n";
  }
  h << "<tr><th>total</th><th class=\"n\">" << fixed(total_seconds(r), 3) << "</th></tr>\n</table>\n</body>\n</html>\n";
  return h.str();
}

}  // namespace emb::cli
