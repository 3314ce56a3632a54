// Tokenizer::encode_batch throughput, the C++ half of bench/tokenizer_vs_rust.py.
//
//   tokenizer_bench TOKENIZER_JSON TEXTS.jsonl [--field text] [--threads N] [--repeats R]
//                   [--truncation N] [--ids OUT.bin]
// Prints one JSON line: best and median wall seconds (and best CPU seconds, all
// threads) of encode_batch over all texts,
// the tokens per batch (special tokens included) and the thread count. --ids
// writes every text's ids (int32 count, then the int32 ids, little-endian) so
// that the caller can check them against the Rust library's.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "embetter/jsonl.h"
#include "embetter/threads.h"
#include "embetter/tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string tokenizer, texts, field = "text", ids;
  int threads = 1, repeats = 5;
  std::size_t truncation = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  CLI::App app{"Tokenizer::encode_batch timed on a JSONL file of texts"};
  app.add_option("tokenizer", o.tokenizer, "tokenizer.json")->required();
  app.add_option("texts", o.texts, "JSONL file of texts")->required();
  app.add_option("--field", o.field, "JSON field holding the text");
  app.add_option("--threads", o.threads, "threads");
  app.add_option("--repeats", o.repeats, "timed runs (the best is reported)");
  app.add_option("--truncation", o.truncation, "truncate to this many tokens (0: none)");
  app.add_option("--ids", o.ids, "write the ids here, to compare with the reference");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  emb::set_num_threads(o.threads);
  emb::Tokenizer tok = emb::Tokenizer::from_file(o.tokenizer);
  tok.set_truncation(o.truncation);
  const std::vector<std::string> texts = emb::read_jsonl(o.texts, o.field).texts;

  std::vector<double> seconds, cpu_seconds;
  std::size_t tokens = 0;
  std::vector<emb::Encoding> encodings;
  for (int r = 0; r < std::max(1, o.repeats); ++r) {
    encodings.clear();
    const auto t0 = Clock::now();
    const std::clock_t c0 = std::clock();
    encodings = tok.encode_batch(texts);
    seconds.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    cpu_seconds.push_back(static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC);
    tokens = 0;
    for (const auto& e : encodings) tokens += e.ids.size();
  }
  if (!o.ids.empty()) {
    std::ofstream out(o.ids, std::ios::binary);
    for (const auto& e : encodings) {
      const auto n = static_cast<std::int32_t>(e.ids.size());
      out.write(reinterpret_cast<const char*>(&n), sizeof n);
      out.write(reinterpret_cast<const char*>(e.ids.data()), static_cast<std::streamsize>(n * sizeof(std::int32_t)));
    }
    if (!out) {
      std::fprintf(stderr, "tokenizer_bench: cannot write %s\n", o.ids.c_str());
      return 1;
    }
  }
  std::vector<double> sorted = seconds;
  std::sort(sorted.begin(), sorted.end());
  std::printf("{\"best_s\": %.6f, \"median_s\": %.6f, \"best_cpu_s\": %.6f, \"texts\": %zu, \"tokens\": %zu, "
              "\"threads\": %d}\n",
              sorted.front(), sorted[sorted.size() / 2], *std::min_element(cpu_seconds.begin(), cpu_seconds.end()),
              texts.size(), tokens, emb::num_threads());
  return 0;
}
