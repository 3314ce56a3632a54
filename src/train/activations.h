#pragma once
// Element-wise activations over contiguous float buffers, compiled for several
// ISAs (see activations.cc). Same machine, same variant: results are reproducible.
#include <cstddef>

namespace emb::train {

/// x ← 1 / (1 + e^(-x)), to within about 2 ulp of the correctly rounded value.
void sigmoid_inplace(float* x, std::size_t n) noexcept;

}  // namespace emb::train
