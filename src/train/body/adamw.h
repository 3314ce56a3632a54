#pragma once
// AdamW as sentence-transformers' `fit` runs it: torch.optim.AdamW over two
// parameter groups (weight decay on most weights, none on biases and
// LayerNorm weights), stepped with the learning rate of a schedule.
//
// Defaults. sentence-transformers 6.3's fit (sentence_transformer/
// fit_mixin.py) builds the optimizer itself, `optimizer_class(groups,
// **optimizer_params)` with optimizer_class=torch.optim.AdamW,
// optimizer_params={"lr": 2e-5} and weight_decay=0.01 on the decayed group,
// and hands it to the Trainer, so TrainingArguments' optimizer settings
// (optim, adam_*, weight_decay=0.0) play no part. Everything else is
// torch.optim.AdamW's default (torch 2.13): betas (0.9, 0.999), eps 1e-8,
// amsgrad off. (TrainingArguments' adam_beta1/2 and adam_epsilon have the
// same values.) On CPU torch runs its single-tensor path (foreach is only
// chosen for accelerator tensors), per parameter and step t:
//   p ← p·(1 − lr·wd)                      (decayed parameters only)
//   m ← m + (1−β1)(g − m)                  (lerp)
//   v ← β2·v + (1−β2)·g²
//   p ← p − lr/(1−β1ᵗ) · m / (√v / √(1−β2ᵗ) + eps)
// with lr, wd and the bias corrections Python floats (double), rounded to
// float only where a tensor operation takes them.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "train/body/parameter.h"

namespace emb::train::body {

struct AdamWHyper {
  /// The base (peak) learning rate the schedule scales: fit's 2e-5. step()
  /// takes each step's rate; this one is kept here with the other defaults.
  /// Doubles, as torch keeps lr and weight decay as Python floats.
  double lr = 2e-5;
  double beta1 = 0.9, beta2 = 0.999;
  float eps = 1e-8f;
  /// Applied to the parameters whose ParameterRef::decay is set.
  double weight_decay = 0.01;
};

class AdamW {
 public:
  /// Takes the parameters to update (their values and gradients stay the
  /// caller's; AdamW keeps only the moments). Throws InvalidArgument for a
  /// parameter whose values and gradient differ in size, or hyperparameters
  /// out of range (β in [0, 1), eps and weight decay ≥ 0, all finite).
  AdamW(std::vector<ParameterRef> params, AdamWHyper hyper = {});

  /// One update of every parameter with learning rate `lr` (the schedule's
  /// value for this step, ≥ 0), then the gradients are zeroed, ready to
  /// accumulate the next batch's.
  void step(double lr);

  /// Updates done so far (torch's state["step"]).
  std::int64_t steps() const noexcept { return steps_; }
  const AdamWHyper& hyper() const noexcept { return hyper_; }
  std::span<const ParameterRef> params() const noexcept { return params_; }

 private:
  std::vector<ParameterRef> params_;
  AdamWHyper hyper_;
  /// First and second moments of every parameter, back to back in params_'
  /// order; offsets_[i] is where parameter i starts.
  std::vector<float> m_, v_;
  std::vector<std::size_t> offsets_;
  std::int64_t steps_ = 0;
};

}  // namespace emb::train::body
