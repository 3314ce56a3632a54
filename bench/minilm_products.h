#pragma once
// The four matrix products of each all-MiniLM-L6-v2 layer (y = x · Wᵀ with W
// n × k), shared by the GEMM benchmarks so they time the same shapes.
#include <cstddef>

namespace emb::bench {

struct Product {
  const char* name;
  std::size_t n, k;
};

inline constexpr Product kMiniLmProducts[] = {{"qkv 384->1152", 1152, 384},
                                              {"attn-out 384->384", 384, 384},
                                              {"up 384->1536", 1536, 384},
                                              {"down 1536->384", 384, 1536}};

}  // namespace emb::bench
