#include "train/pairs.h"

#include <algorithm>
#include <numeric>

#include "embetter/error.h"

namespace emb::train {

std::vector<Pair> generate_pairs(std::span<const std::int32_t> labels, int n_neg, Rng& rng) {
  const std::size_t n = labels.size();
  // Indices grouped by label (stable), so each class is one contiguous block
  // and "any other class" is everything outside that block.
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return labels[a] < labels[b]; });
  std::vector<std::size_t> block_begin(n), block_size(n), position(n);
  for (std::size_t start = 0; start < n;) {
    std::size_t end = start;
    while (end < n && labels[order[end]] == labels[order[start]]) ++end;
    for (std::size_t k = start; k < end; ++k) {
      block_begin[order[k]] = start;
      block_size[order[k]] = end - start;
      position[order[k]] = k;
    }
    start = end;
  }
  EMB_CHECK(n == 0 || block_size[0] < n, "y: pairs need at least 2 distinct classes (negatives come from another ",
            "class), got 1");

  std::vector<Pair> pairs;
  pairs.reserve(n * (1 + static_cast<std::size_t>(n_neg)));
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t begin = block_begin[i], size = block_size[i];
    std::size_t positive = i;
    if (size > 1) {
      // Uniform over the class without i itself: draw among size-1 slots and skip i's.
      std::size_t k = begin + rng.uniform_int(size - 1);
      if (k >= position[i]) ++k;
      positive = order[k];
    }
    pairs.push_back({static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(positive), 1.0f});
    for (int j = 0; j < n_neg; ++j) {
      std::size_t k = rng.uniform_int(n - size);
      if (k >= begin) k += size;
      pairs.push_back({static_cast<std::uint32_t>(i), order[k], 0.0f});
    }
  }
  return pairs;
}

}  // namespace emb::train
