#pragma once
// Reads the golden.jsonl files of sentence-transformers fixtures and compares
// embeddings the way the issue states the tolerances.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "embetter/matrix.h"
#include "encoders/sentence_batches.h"

namespace emb::test {

struct GoldenText {
  std::string text;
  std::vector<std::int32_t> input_ids;
  std::vector<float> embedding;
};

inline std::vector<GoldenText> read_golden(const std::filesystem::path& jsonl) {
  std::vector<GoldenText> rows;
  std::ifstream in(jsonl);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    rows.push_back({j["text"].get<std::string>(), j["input_ids"].get<std::vector<std::int32_t>>(),
                    j["embedding"].get<std::vector<float>>()});
  }
  return rows;
}

/// Worst absolute difference and lowest cosine of `m`'s rows against the goldens.
struct Parity {
  float max_abs = 0.0f;
  double min_cosine = 1.0;
};

inline Parity compare(const Matrix& m, const std::vector<GoldenText>& golden) {
  Parity p;
  for (std::size_t r = 0; r < golden.size() && r < m.rows(); ++r) {
    double dot = 0, na = 0, nb = 0;
    for (std::size_t j = 0; j < m.cols() && j < golden[r].embedding.size(); ++j) {
      const double a = m(r, j), b = golden[r].embedding[j];
      p.max_abs = std::max(p.max_abs, static_cast<float>(std::fabs(a - b)));
      dot += a * b;
      na += a * a;
      nb += b * b;
    }
    // Two zero vectors (possible with max pooling of tiny models) agree.
    const double cos = (na == 0 && nb == 0) ? 1.0 : dot / std::sqrt(na * nb);
    p.min_cosine = std::min(p.min_cosine, cos);
  }
  return p;
}

inline encoders::BatchOptions test_batches(std::size_t batch_size, int num_threads = 0) {
  encoders::BatchOptions o;
  o.batch_size = batch_size;
  o.num_threads = num_threads;
  return o;
}

}  // namespace emb::test
