// LiteTextEncoder::fit timing, the C++ half of bench/lite_vs_sklearn.py.
//
//   lite_fit_bench TEXTS.jsonl [--field text] [--dim 300] [--threads N] [--repeats R] [--seed S]
// Prints one JSON line with the best wall and CPU seconds of: the whole
// LiteTextEncoder::fit, and its two stages on their own (TfidfVectorizer
// fit_transform; TruncatedSvd fit on that matrix), plus the summed
// explained-variance ratio of the components (a cheap check that the SVD found
// the same subspace as scikit-learn's).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "embetter/jsonl.h"
#include "embetter/lite_text_encoder.h"
#include "embetter/tfidf.h"
#include "embetter/threads.h"
#include "embetter/truncated_svd.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string texts, field = "text";
  int dim = 300, threads = 1, repeats = 3;
  std::uint64_t seed = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  CLI::App app{"LiteTextEncoder fit timed on a JSONL file of texts"};
  app.add_option("texts", o.texts, "JSONL file of texts")->required();
  app.add_option("--field", o.field, "JSON field holding the text");
  app.add_option("--dim", o.dim, "SVD components");
  app.add_option("--threads", o.threads, "threads");
  app.add_option("--repeats", o.repeats, "timed runs (the best is reported)");
  app.add_option("--seed", o.seed, "random_state of the SVD");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  return o;
}

struct Timing {
  double wall = 1e300, cpu = 1e300;
};

// Best wall time and best process CPU time over `repeats` runs of `f`.
Timing best_of(int repeats, const std::function<void()>& f) {
  Timing t;
  for (int r = 0; r < std::max(1, repeats); ++r) {
    const auto w0 = Clock::now();
    const std::clock_t c0 = std::clock();
    f();
    const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    t.wall = std::min(t.wall, std::chrono::duration<double>(Clock::now() - w0).count());
    t.cpu = std::min(t.cpu, cpu);
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  emb::set_num_threads(o.threads);
  const std::vector<std::string> texts = emb::read_jsonl(o.texts, o.field).texts;

  emb::SparseMatrix tfidf;
  const Timing tfidf_t = best_of(o.repeats, [&] { tfidf = emb::TfidfVectorizer().fit_transform(texts); });

  emb::TruncatedSvdParams svd_params;
  svd_params.n_components = o.dim;
  svd_params.random_state = o.seed;
  std::vector<float> ratio;
  const Timing svd_t = best_of(o.repeats, [&] {
    emb::TruncatedSvd svd(svd_params);
    svd.fit(tfidf);
    ratio = svd.explained_variance_ratio();
  });

  emb::LiteTextEncoderParams lite_params;
  lite_params.dim = o.dim;
  lite_params.random_state = o.seed;
  const Timing fit_t = best_of(o.repeats, [&] { emb::LiteTextEncoder(lite_params).fit(texts); });

  std::printf(
      "{\"fit_s\": %.6f, \"fit_cpu_s\": %.6f, \"tfidf_s\": %.6f, \"tfidf_cpu_s\": %.6f, \"svd_s\": %.6f, "
      "\"svd_cpu_s\": %.6f, \"texts\": %zu, \"features\": %zu, \"nnz\": %zu, \"explained_variance\": %.6f, "
      "\"threads\": %d}\n",
      fit_t.wall, fit_t.cpu, tfidf_t.wall, tfidf_t.cpu, svd_t.wall, svd_t.cpu, texts.size(), tfidf.cols, tfidf.nnz(),
      std::accumulate(ratio.begin(), ratio.end(), 0.0), emb::num_threads());
  return 0;
}
