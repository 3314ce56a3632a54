// The portable Adam update (train/adam.h): one streaming pass over every
// parameter, built with -fno-math-errno so that the square root vectorises
// (no fast-math otherwise).
#include <cmath>

#include "cpu/generic/generic.h"

namespace emb::cpu::generic {

void adam(std::size_t n, float* __restrict p, float* __restrict g, float* __restrict m, float* __restrict v,
          const AdamCoefficients& c) {
  for (std::size_t i = 0; i < n; ++i) {
    const float gi = g[i];
    g[i] = 0.0f;  // zero_grad folded into the same pass
    const float mi = m[i] + c.w1 * (gi - m[i]);
    const float vi = v[i] * c.b2 + c.w2 * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] += c.neg_step_size * (mi / (std::sqrt(vi) * c.inv_bc2_sqrt + c.eps));
  }
}

}  // namespace emb::cpu::generic
