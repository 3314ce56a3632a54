#pragma once
// Synthetic data for the train tests: Gaussian blobs around well separated
// centres, so a small network can classify them almost perfectly.
#include <string>
#include <vector>

#include "embetter/matrix.h"
#include "embetter/random.h"

namespace emb::test {

struct Blobs {
  Matrix X;
  std::vector<std::string> y;
};

/// n_per_class points per class in `dim` dimensions; class k is centred on
/// `separation` × a random unit-ish direction, with unit noise.
inline Blobs make_blobs(int n_classes, int n_per_class, int dim, float separation, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::vector<float>> centres(n_classes, std::vector<float>(dim));
  for (auto& c : centres)
    for (auto& v : c) v = separation * static_cast<float>(rng.normal()) / 2.0f;
  Blobs b{Matrix(static_cast<std::size_t>(n_classes * n_per_class), static_cast<std::size_t>(dim)), {}};
  for (int i = 0; i < n_classes * n_per_class; ++i) {
    const int k = i % n_classes;  // interleaved, so any prefix holds every class
    for (int d = 0; d < dim; ++d) b.X(i, d) = centres[k][d] + static_cast<float>(rng.normal());
    b.y.push_back("class_" + std::to_string(k));
  }
  return b;
}

}  // namespace emb::test
