// Our SentenceEncoder alone on the workloads of encoder_vs_references.py
// (real all-MiniLM-L6-v2, short texts of new-dataset.jsonl, IMDB reviews at
// 256 tokens, batch 32), from texts to embeddings with the tokenizer
// included: a quick C++ check between full runs of that benchmark. Prints the
// best of --repeats runs (wall clock, the run least disturbed on a shared
// machine) and the mean texts per CPU-second.
//
// usage: encoder_texts --model DIR [--shared ../shared] [--threads 1 2] [--short 640] [--long 192] [--repeats 3]
//                      [--precision fp32|int8]

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "embetter/jsonl.h"
#include "embetter/sentence_encoder.h"
#include "cpu_time.h"

namespace {

using emb::bench::process_cpu_seconds;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("SentenceEncoder on the short and long workloads of bench/encoder_vs_references.py");
  std::string model, shared = "../shared";
  std::vector<int> threads{1, 2};
  std::size_t n_short = 640, n_long = 192;
  int repeats = 3;
  std::string precision = "fp32";
  app.add_option("--model", model, "sentence-transformers folder (all-MiniLM-L6-v2)")->required();
  app.add_option("--shared", shared, "the shared fixtures folder");
  app.add_option("--threads", threads, "thread counts");
  app.add_option("--short", n_short, "short texts (new-dataset.jsonl)");
  app.add_option("--long", n_long, "long texts (imdb-5000.jsonl)");
  app.add_option("--repeats", repeats, "runs per measurement (best wall time is kept)")->check(CLI::PositiveNumber);
  app.add_option("--precision", precision, "the products' precision (SentenceEncoderOptions::precision)")
      ->check(CLI::IsMember({"fp32", "int8"}));
  CLI11_PARSE(app, argc, argv);

  struct Workload {
    const char* name;
    std::vector<std::string> texts;
  };
  auto first = [](std::vector<std::string> v, std::size_t n) {
    v.resize(std::min(n, v.size()));
    return v;
  };
  const std::vector<Workload> workloads = {
      {"short", first(emb::read_jsonl(shared + "/data/new-dataset.jsonl", "text").texts, n_short)},
      {"long", first(emb::read_jsonl(shared + "/data/imdb-5000.jsonl", "text").texts, n_long)}};
  for (const auto& w : workloads)
    for (int t : threads) {
      if (w.texts.empty()) continue;
      emb::SentenceEncoderOptions o;
      o.batch_size = 32;
      o.num_threads = t;
      o.normalize_embeddings = true;
      o.precision = precision;
      const auto enc = emb::SentenceEncoder::load(model, o);
      enc.encode(first(w.texts, 32));   // warm-up
      double best = 1e30, cpu = 0.0;
      for (int r = 0; r < repeats; ++r) {
        const double c0 = process_cpu_seconds();
        const auto t0 = std::chrono::steady_clock::now();
        enc.encode(w.texts);
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        cpu += process_cpu_seconds() - c0;
      }
      std::printf("%s %-5s %d thread(s): %7.1f texts/s (best of %d), %7.1f texts per CPU-second\n",
                  precision.c_str(), w.name, t, w.texts.size() / best, repeats, w.texts.size() * repeats / cpu);
      std::fflush(stdout);
    }
  return 0;
}
