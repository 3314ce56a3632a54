#pragma once
// SetFit-style pair generation (after Peter Baumgartner's generate_pairs_batch,
// which the original ContrastiveTuner uses): for every example, one positive
// pair with another example of its class (itself when it is its class's only
// example) and n_neg negative pairs with examples of other classes, each drawn
// uniformly.
#include <cstdint>
#include <span>
#include <vector>

#include "embetter/random.h"

namespace emb::train {

struct Pair {
  std::uint32_t first = 0, second = 0;
  float label = 0;  ///< 1 = same class, 0 = different classes
};

/// Pairs in example order: example i's positive, then its n_neg negatives.
/// Needs at least two distinct labels (else there is no negative); throws InvalidArgument.
std::vector<Pair> generate_pairs(std::span<const std::int32_t> labels, int n_neg, Rng& rng);

}  // namespace emb::train
