#pragma once
// The learning-rate schedule of sentence-transformers' `fit` (its default
// scheduler "WarmupLinear", warmup_steps=10000): transformers'
// get_linear_schedule_with_warmup, a LambdaLR whose factor rises linearly
// from 0 to 1 over the warm-up steps, then falls linearly to 0 at the last
// training step.
#include <cstdint>

namespace emb::train::body {

/// The learning rate of optimizer step `step` (0-based: the rate the
/// (step+1)-th update uses), base_lr × transformers' factor, in double as
/// Python computes it:
///   step < warmup_steps:  step / max(1, warmup_steps)
///   otherwise:            max(0, (total_steps − step) / max(1, total_steps − warmup_steps))
/// Throws InvalidArgument for a negative step, warm-up or total.
double warmup_linear_lr(double base_lr, std::int64_t step, std::int64_t warmup_steps, std::int64_t total_steps);

}  // namespace emb::train::body
