#include "grad_clip.h"  // same folder; the test-facing binding includes this header by path

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "embetter/error.h"

namespace emb::train::body {
namespace {

// Eight independent partial sums: one running sum would make the pass over a
// model's ~10⁷ gradients wait on the adder's latency at every element. In
// double the order's effect is far below the final rounding to float.
double sum_of_squares_of(std::span<const float> x) {
  double partial[8] = {};
  std::size_t i = 0;
  for (; i + 8 <= x.size(); i += 8)
    for (std::size_t k = 0; k < 8; ++k) partial[k] += static_cast<double>(x[i + k]) * x[i + k];
  for (; i < x.size(); ++i) partial[0] += static_cast<double>(x[i]) * x[i];
  double sum = 0.0;
  for (double s : partial) sum += s;
  return sum;
}

}  // namespace

float clip_grad_norm(std::span<const ParameterRef> params, float max_norm) {
  EMB_CHECK(std::isfinite(max_norm) && max_norm > 0.0f, "clip_grad_norm: max_norm is ", max_norm,
            "; expected a finite value > 0 (skip the call to train without clipping)");
  // torch: vector_norm(stack([vector_norm(g) for g in grads])).
  double sum_of_squares = 0.0;
  for (const ParameterRef& p : params) {
    const float norm = static_cast<float>(std::sqrt(sum_of_squares_of(p.grad)));
    sum_of_squares += static_cast<double>(norm) * norm;
  }
  const float total = static_cast<float>(std::sqrt(sum_of_squares));
  // torch: clip_coef = max_norm / (total_norm + 1e-6), a float tensor, which
  // Tensor.__rtruediv__ forms as reciprocal(total + 1e-6) * max_norm; then
  // clamp(max=1) and grads *= coef.
  const float coef = std::min((1.0f / (total + 1e-6f)) * max_norm, 1.0f);
  for (const ParameterRef& p : params)
    for (float& g : p.grad) g *= coef;
  return total;
}

}  // namespace emb::train::body
