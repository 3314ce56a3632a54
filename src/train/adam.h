#pragma once
// Adam as torch.optim.Adam computes it with its defaults (betas 0.9/0.999,
// eps 1e-8, no weight decay, no amsgrad, the single-tensor CPU path):
//   m ← m + (1-β1)(g - m)                 (lerp)
//   v ← β2·v + (1-β2)·g²
//   p ← p - lr/(1-β1ᵗ) · m / (√v / √(1-β2ᵗ) + eps)
// The bias corrections are computed in double, as torch does with Python floats.
#include <cstdint>
#include <span>

#include "cpu/kernel_table.h"

namespace emb::train {

struct AdamHyper {
  float lr = 1e-3f;
  double beta1 = 0.9, beta2 = 0.999;
  float eps = 1e-8f;
};

/// The per-step constants of the update, from the hyperparameters and the step
/// number. torch divides √v by √(1-β2ᵗ); we multiply by its reciprocal, which
/// saves a division per parameter and differs by at most an ulp of √v̂.
using AdamCoefficients = cpu::AdamCoefficients;
AdamCoefficients adam_coefficients(const AdamHyper& hyper, std::int64_t step);

/// One Adam step over a flat parameter buffer. `step` is the step number after
/// this update (1 for the first). All spans have the same length. The gradient
/// is consumed: it is left zeroed, ready to accumulate the next one.
void adam_step(const AdamHyper& hyper, std::int64_t step, std::span<float> params, std::span<float> grads,
               std::span<float> m, std::span<float> v);

/// The same update with the step's coefficients already formed, for callers
/// that update a network in several pieces per step.
void adam_update(const AdamCoefficients& coefficients, std::span<float> params, std::span<float> grads,
                 std::span<float> m, std::span<float> v);

}  // namespace emb::train
