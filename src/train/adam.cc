#include "train/adam.h"

#include <cmath>
#include <cstddef>

#include "embetter/error.h"

// The update is one streaming pass over every parameter; at the sizes we
// train (≈10⁵ parameters, thousands of steps) its square root and division
// per parameter cost as much as the matrix products. The pass is the kernel
// table's (cpu/): the portable loop, AVX2's and NEON's with an exact
// division, and AVX-512's, which leaves only the square root on the divider
// and forms the reciprocal from the hardware's 14-bit estimate refined by one
// Newton step on the FMA unit (≈28 bits: within an ulp or two of the exact
// quotient).

namespace emb::train {

AdamCoefficients adam_coefficients(const AdamHyper& hyper, std::int64_t step) {
  EMB_ASSERT(step >= 1);
  const double t = static_cast<double>(step);
  const double bias_correction1 = 1.0 - std::pow(hyper.beta1, t);
  const double bias_correction2 = 1.0 - std::pow(hyper.beta2, t);
  const double step_size = static_cast<double>(hyper.lr) / bias_correction1;
  const double bias_correction2_sqrt = std::sqrt(bias_correction2);
  return {.w1 = static_cast<float>(1.0 - hyper.beta1),
          .b2 = static_cast<float>(hyper.beta2),
          .w2 = static_cast<float>(1.0 - hyper.beta2),
          .inv_bc2_sqrt = static_cast<float>(1.0 / bias_correction2_sqrt),
          .eps = hyper.eps,
          .neg_step_size = static_cast<float>(-step_size)};
}

void adam_step(const AdamHyper& hyper, std::int64_t step, std::span<float> params, std::span<float> grads,
               std::span<float> m, std::span<float> v) {
  adam_update(adam_coefficients(hyper, step), params, grads, m, v);
}

void adam_update(const AdamCoefficients& coefficients, std::span<float> params, std::span<float> grads,
                 std::span<float> m, std::span<float> v) {
  EMB_ASSERT(params.size() == grads.size() && params.size() == m.size() && params.size() == v.size());
  cpu::kernels().adam(params.size(), params.data(), grads.data(), m.data(), v.data(), coefficients);
}

}  // namespace emb::train
