// Throughput of the native transformer on a MiniLM-L6-shaped model (hidden
// 384, 6 layers, 12 heads, intermediate 1536, vocabulary 30522) with random
// weights written by this program as a temporary sentence-transformers
// folder. Prints texts/second for ~25-token and ~256-token inputs (token ids
// drawn at random, so the tokenizer's time is not included).
//
// usage: encoder_throughput [threads...]   (default: 1 and all cores)
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <tuple>
#include <unistd.h>
#include <vector>

#include "embetter/threads.h"
#include "encoders/sentence_batches.h"
#include "encoders/sentence_model.h"
#include "io/safetensors.h"

namespace fs = std::filesystem;
using namespace emb;

namespace {

constexpr int kHidden = 384, kLayers = 6, kHeads = 12, kInter = 1536, kVocab = 30522, kPositions = 512;

void add_random(io::SafetensorsWriter& w, std::mt19937& rng, const std::string& name,
                std::vector<std::int64_t> shape, float scale, float offset = 0.0f) {
  std::size_t n = 1;
  for (auto d : shape) n *= static_cast<std::size_t>(d);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = offset + dist(rng);
  w.add(name, std::move(shape), v);
}

fs::path write_model() {
  const fs::path dir = fs::temp_directory_path() / ("embetter-bench-minilm-" + std::to_string(::getpid()));
  fs::create_directories(dir / "1_Pooling");
  std::ofstream(dir / "config.json") << R"({"model_type": "bert", "architectures": ["BertModel"], "hidden_act": "gelu",
    "hidden_size": 384, "intermediate_size": 1536, "num_attention_heads": 12, "num_hidden_layers": 6,
    "max_position_embeddings": 512, "type_vocab_size": 2, "vocab_size": 30522, "layer_norm_eps": 1e-12})";
  std::ofstream(dir / "modules.json") << R"([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
    {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])";
  std::ofstream(dir / "1_Pooling/config.json") << R"({"embedding_dimension": 384, "pooling_mode": "mean"})";
  std::ofstream(dir / "sentence_bert_config.json") << R"({"max_seq_length": 256})";
  std::mt19937 rng(42);
  io::SafetensorsWriter w;
  add_random(w, rng, "embeddings.word_embeddings.weight", {kVocab, kHidden}, 0.05f);
  add_random(w, rng, "embeddings.position_embeddings.weight", {kPositions, kHidden}, 0.05f);
  add_random(w, rng, "embeddings.token_type_embeddings.weight", {2, kHidden}, 0.05f);
  add_random(w, rng, "embeddings.LayerNorm.weight", {kHidden}, 0.05f, 1.0f);
  add_random(w, rng, "embeddings.LayerNorm.bias", {kHidden}, 0.05f);
  for (int l = 0; l < kLayers; ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    for (const char* m : {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"}) {
      add_random(w, rng, p + m + ".weight", {kHidden, kHidden}, 0.05f);
      add_random(w, rng, p + m + ".bias", {kHidden}, 0.02f);
    }
    add_random(w, rng, p + "intermediate.dense.weight", {kInter, kHidden}, 0.05f);
    add_random(w, rng, p + "intermediate.dense.bias", {kInter}, 0.02f);
    add_random(w, rng, p + "output.dense.weight", {kHidden, kInter}, 0.05f);
    add_random(w, rng, p + "output.dense.bias", {kHidden}, 0.02f);
    for (const char* m : {"attention.output.LayerNorm", "output.LayerNorm"}) {
      add_random(w, rng, p + m + ".weight", {kHidden}, 0.05f, 1.0f);
      add_random(w, rng, p + m + ".bias", {kHidden}, 0.02f);
    }
  }
  w.write(dir / "model.safetensors");
  return dir;
}

std::vector<std::vector<std::int32_t>> random_texts(std::size_t n, std::size_t mean_tokens, std::mt19937& rng) {
  std::uniform_int_distribution<std::int32_t> id(1000, kVocab - 1);
  std::uniform_int_distribution<std::size_t> jitter(0, mean_tokens / 5);
  std::vector<std::vector<std::int32_t>> texts(n);
  for (auto& t : texts) {
    const std::size_t len = std::min<std::size_t>(256, mean_tokens - mean_tokens / 10 + jitter(rng));
    t.resize(len);
    for (auto& x : t) x = id(rng);
    t.front() = 101;   // [CLS]
    t.back() = 102;    // [SEP]
  }
  return texts;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> thread_counts;
  for (int i = 1; i < argc; ++i) thread_counts.push_back(std::atoi(argv[i]));
  if (thread_counts.empty()) thread_counts = {1, emb::num_threads()};
  const fs::path dir = write_model();
  const auto model = encoders::SentenceModel::load(dir);
  std::mt19937 rng(7);
  for (const auto& [label, tokens, count] : {std::tuple{"short (~25 tokens)", std::size_t{25}, std::size_t{300}},
                                             std::tuple{"long (~256 tokens)", std::size_t{256}, std::size_t{24}}}) {
    const auto texts = random_texts(count, tokens, rng);
    for (int threads : thread_counts) {
      encoders::BatchOptions o;
      o.batch_size = 32;
      o.num_threads = threads;
      encoders::embed_sequences(model, std::span(texts).first(std::min<std::size_t>(16, count)), o);   // warm-up
      const auto t0 = std::chrono::steady_clock::now();
      const std::clock_t c0 = std::clock();
      encoders::embed_sequences(model, texts, o);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
      // Per CPU-second too: on a shared machine the wall clock mostly measures the neighbours.
      std::printf("%-20s threads %2d: %8.1f texts/s wall, %8.1f texts per CPU-second (%zu texts, %.2f s wall, %.2f s CPU)\n",
                  label, threads, count / s, count / cpu, count, s, cpu);
      std::fflush(stdout);
    }
  }
  fs::remove_all(dir);
  return 0;
}
