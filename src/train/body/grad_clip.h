#pragma once
// Gradient-norm clipping as the Trainer behind sentence-transformers' `fit`
// does it before every optimizer step (max_grad_norm = 1.0):
// torch.nn.utils.clip_grad_norm_ with the L2 norm.
#include <span>

#include "train/body/parameter.h"

namespace emb::train::body {

/// Scales every gradient by min(1, max_norm / (total + 1e-6)), where total
/// is the L2 norm of all the gradients together, and returns total (before
/// clipping), as torch.nn.utils.clip_grad_norm_ does (float32 throughout;
/// the scale is applied even when it is 1, which leaves the gradients as
/// they are). A non-finite total is returned and applied as torch does
/// (error_if_nonfinite=False): the gradients become NaN or 0, and the caller
/// decides. Throws InvalidArgument unless max_norm is finite and > 0.
///
/// The norm has torch's structure: one norm per tensor, then the norm of
/// those norms, each rounded to float. Each sum of squares runs in double, so
/// each norm is the correctly rounded one. torch sums in float, in an order
/// that depends on the ISA and thread count: on small tensors that is within
/// an ulp or two of ours, but on large dense ones it drifts (torch 2.13, 2
/// threads, AVX2: 5e-6 relative for a 384 × 1536 gradient, 5e-4 for a dense
/// 30522 × 384 one, where ours is exact to float). We do not reproduce that
/// drift: it is rounding error, not a defined result, and Adam divides the
/// step's scale out again (m / √v), so a clip factor off by 1e-4 barely
/// moves the update. Each ParameterRef counts as one tensor; a checkpoint
/// tensor split over several references gives the same total up to rounding.
float clip_grad_norm(std::span<const ParameterRef> params, float max_norm);

}  // namespace emb::train::body
