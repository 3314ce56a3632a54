// FeedForwardTuner.fit on the workload (500 epochs, 200×384 inputs,
// 2 classes, hidden_dim 200, batch 32), timed, with its useful GFLOP/s against
// an fp32 GEMM peak measured in the same run on the same threads.
//
//   finetune_bench [--threads N] [--repeats R] [--data X.f32 --labels y.txt --rows N --cols D]
//                  [--epochs E] [--hidden H] [--batch B] [--objective sigmoid_ce|softmax_ce] [--json] [--no-peak]
// Without --data it draws standard-normal inputs (seed 0) and labels from the
// sign of their first coordinate. X.f32: raw little-endian float32, row-major.
#include <CLI/CLI.hpp>
#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "embetter/feed_forward_tuner.h"
#include "embetter/isa.h"
#include "embetter/random.h"
#include "embetter/threads.h"
#include "cpu_time.h"

namespace {

using emb::bench::process_cpu_seconds;

using Clock = std::chrono::steady_clock;

struct Options {
  int threads = 1, repeats = 3, epochs = 500, hidden = 200, batch = 32;
  std::string objective = "sigmoid_ce";
  std::size_t rows = 200, cols = 384;
  std::string data, labels;
  bool json = false, peak = true;
};

Options parse(int argc, char** argv) {
  Options o;
  CLI::App app{"FeedForwardTuner.fit timed, with the fp32 GEMM peak measured in the same run"};
  app.add_option("--threads", o.threads, "threads");
  app.add_option("--repeats", o.repeats, "timed fits (the best is reported)");
  app.add_option("--epochs", o.epochs, "n_epochs");
  app.add_option("--hidden", o.hidden, "hidden_dim");
  app.add_option("--batch", o.batch, "batch_size");
  app.add_option("--objective", o.objective, "what training minimises (sigmoid_ce, softmax_ce)");
  app.add_option("--rows", o.rows, "rows of X");
  app.add_option("--cols", o.cols, "features of X");
  app.add_option("--data", o.data, "X as raw little-endian float32, row-major (default: standard-normal draws)");
  app.add_option("--labels", o.labels, "labels, whitespace-separated (with --data)");
  app.add_flag("--json", o.json, "print one JSON object");
  app.add_flag("!--no-peak", o.peak, "skip the GEMM peak measurement");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  return o;
}

void load_data(const Options& o, emb::Matrix& X, std::vector<std::string>& y) {
  X = emb::Matrix(o.rows, o.cols);
  y.assign(o.rows, "");
  if (o.data.empty()) {
    emb::Rng rng(0);
    for (std::size_t i = 0; i < X.size(); ++i) X.data()[i] = static_cast<float>(rng.normal());
    for (std::size_t r = 0; r < o.rows; ++r) y[r] = X(r, 0) > 0 ? "pos" : "neg";
    return;
  }
  std::ifstream in(o.data, std::ios::binary);
  in.read(reinterpret_cast<char*>(X.data()), static_cast<std::streamsize>(X.size() * sizeof(float)));
  if (!in) {
    std::fprintf(stderr, "finetune_bench: %s: expected %zu×%zu float32 values\n", o.data.c_str(), o.rows, o.cols);
    std::exit(2);
  }
  std::ifstream lab(o.labels);
  for (auto& label : y)
    if (!std::getline(lab, label)) {
      std::fprintf(stderr, "finetune_bench: %s: expected %zu labels\n", o.labels.c_str(), o.rows);
      std::exit(2);
    }
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Best of a few large sgemm calls through Eigen (→ OpenBLAS): the machine's fp32
// peak as far as a good GEMM can reach it, right now, on these threads.
double gemm_peak_gflops(int repeats) {
  const Eigen::Index n = 1536;
  Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n), c(n, n);
  c.noalias() = a * b;  // warm-up
  double best = 1e30;
  for (int r = 0; r < std::max(repeats, 3); ++r) {
    auto t0 = Clock::now();
    c.noalias() = a * b;
    best = std::min(best, seconds_since(t0));
  }
  return 2.0 * n * n * n / best / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  emb::set_num_threads(o.threads);
  emb::Matrix X;
  std::vector<std::string> y;
  load_data(o, X, y);

  emb::FeedForwardTunerParams params;
  params.hidden_dim = o.hidden;
  params.objective = emb::parse_feed_forward_objective(o.objective, "--objective");
  params.n_epochs = o.epochs;
  params.batch_size = o.batch;
  params.learning_rate = 0.01f;
  params.random_state = 42;

  std::vector<double> times, cpu_times;
  double accuracy = 0;
  for (int r = 0; r < o.repeats; ++r) {
    emb::FeedForwardTuner tuner(params);
    const auto t0 = Clock::now();
    const double c0 = process_cpu_seconds();
    tuner.fit(X, y);
    times.push_back(seconds_since(t0));
    cpu_times.push_back(process_cpu_seconds() - c0);
    const auto pred = tuner.predict(X);
    std::size_t ok = 0;
    for (std::size_t i = 0; i < y.size(); ++i) ok += pred[i] == y[i];
    accuracy = static_cast<double>(ok) / static_cast<double>(y.size());
  }
  std::sort(times.begin(), times.end());
  std::sort(cpu_times.begin(), cpu_times.end());
  const double best = times.front(), median = times[times.size() / 2], best_cpu = cpu_times.front();

  // FLOPs as the issue counts them: forward + backward of both layers, the
  // backward being the weight gradient and the input gradient (2× the forward).
  // We do not compute the gradient with respect to the input X (nothing needs
  // it), so the work actually done is the "computed" figure.
  const double n = static_cast<double>(o.rows), d = static_cast<double>(o.cols), h = o.hidden, c = 2;
  const double fwd = 2 * n * (d * h + h * c) * o.epochs;
  const double nominal = 3 * fwd;
  const double computed = 3 * fwd - 2 * n * d * h * o.epochs;
  const double peak = o.peak ? gemm_peak_gflops(o.repeats) : 0.0;

  if (o.json) {
    std::printf(
        "{\"threads\": %d, \"best_s\": %.6f, \"median_s\": %.6f, \"best_cpu_s\": %.6f, \"nominal_gflop\": %.3f, \"computed_gflop\": %.3f, "
        "\"gemm_peak_gflops\": %.2f, \"train_accuracy\": %.4f, \"isa\": \"%s\"}\n",
        o.threads, best, median, best_cpu, nominal / 1e9, computed / 1e9, peak, accuracy, emb::kernel_isa().c_str());
  } else {
    std::printf("FeedForwardTuner.fit: %zu×%zu, hidden %d, batch %d, %d epochs, %d thread(s)\n", o.rows, o.cols,
                o.hidden, o.batch, o.epochs, o.threads);
    std::printf("  time: best %.3f s, median %.3f s over %d runs; best CPU time %.3f s (train accuracy %.3f)\n", best,
                median, o.repeats, best_cpu, accuracy);
    std::printf("  useful work %.1f GFLOP (issue's count) → %.1f GFLOP/s; computed %.1f GFLOP → %.1f GFLOP/s\n",
                nominal / 1e9, nominal / best / 1e9, computed / 1e9, computed / best / 1e9);
    if (o.peak) {
      std::printf("  fp32 GEMM peak (1536³ sgemm, same threads): %.1f GFLOP/s → %.0f%% of peak (computed work)\n", peak,
                  100.0 * computed / best / 1e9 / peak);
    }
  }
  return 0;
}
