#pragma once
/// @file torch_generator.h
/// PyTorch's CPU random generator, draw for draw. The original embetter's
/// FeedForwardTuner draws its initial weights (nn.Linear) and its minibatch
/// order (DataLoader(shuffle=True)) from torch's global generator; ours draws
/// them from this class, so with random_state=s it starts from the same weights
/// and sees the same batches as the original after torch.manual_seed(s). The
/// two then differ only by float rounding, and a user switching libraries keeps
/// their results.
///
/// What is matched (ATen's CPUGeneratorImpl, DistributionsHelper.h,
/// TransformationHelper.h and randperm_cpu; torch.utils.data): the engine is the
/// standard 32-bit Mersenne Twister seeded with the low 32 bits of the seed;
/// random64() is two draws, the first the high half; float uniform_ keeps the
/// low 24 bits of one draw; randperm(n) is Fisher–Yates from the front with
/// draw % (n - i); each DataLoader epoch draws two int64 seeds (the iterator's
/// base seed, then the sampler's) and permutes with a fresh generator seeded by
/// the second. tests/python/test_finetune_torch_draws.py checks each against torch.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <random>
#include <span>

#include "embetter/random.h"

namespace emb {

class TorchGenerator {
 public:
  /// torch.manual_seed(seed) / torch.Generator().manual_seed(seed).
  explicit TorchGenerator(std::uint64_t seed) : engine_(static_cast<std::uint32_t>(seed)) {}
  /// A seed, or with none a fresh one from std::random_device.
  explicit TorchGenerator(RandomState seed)
      : TorchGenerator(seed ? *seed : std::uint64_t{std::random_device{}()}) {}

  std::uint32_t random() { return static_cast<std::uint32_t>(engine_()); }
  std::uint64_t random64() {
    const std::uint64_t hi = random();
    return hi << 32 | random();
  }

  /// One element of a float32 Tensor.uniform_(from, to): the bounds arrive as
  /// Python floats and are cast to float first, then everything is float, and
  /// x·span + lo is one fused multiply-add, as torch's kernels for AVX2 and
  /// wider CPUs compile it (a separate multiply and add differ in the last bit
  /// for about half the draws).
  float uniform(double from, double to) {
    const auto lo = static_cast<float>(from), hi = static_cast<float>(to);
    const float x = static_cast<float>(random() & ((1u << 24) - 1)) * (1.0f / (1u << 24));
    return std::fma(x, hi - lo, lo);
  }

  /// torch.empty((), dtype=torch.int64).random_(): a non-negative int64.
  std::uint64_t random_int64() { return random64() % (std::uint64_t{1} << 63); }

  /// torch.randperm(n, generator=this), written into `out`. torch switches to
  /// another algorithm from n = 2^32 / 20 (214 million rows); above that this
  /// is still a uniform permutation, but not torch's.
  template <class Index>
  void randperm(std::span<Index> out) {
    std::iota(out.begin(), out.end(), Index{0});
    const std::size_t n = out.size();
    for (std::size_t i = 0; i + 1 < n; ++i) {
      const std::size_t z = random() % (n - i);
      std::swap(out[i], out[z + i]);
    }
  }

  /// The order one epoch of DataLoader(shuffle=True) visits n rows in, drawing
  /// from this (the global) generator as the DataLoader does.
  template <class Index>
  void data_loader_epoch(std::span<Index> out) {
    random_int64();  // the iterator's base seed, used only by worker processes
    TorchGenerator sampler(random_int64());
    sampler.randperm(out);
  }

 private:
  std::mt19937 engine_;
};

}  // namespace emb
