#include "train/adam.h"

#include <cmath>
#include <cstddef>

#include "embetter/error.h"

namespace emb::train {
namespace {

// The update is one streaming pass over every parameter; at the sizes we train
// (≈10⁵ parameters, thousands of steps) its square roots and divisions cost as
// much as the matrix products, so it is compiled for AVX-512 and AVX2 as well as
// the portable baseline and GCC picks the variant at load time. The file is
// built with -fno-math-errno so that sqrt vectorises (no fast-math otherwise).
// torch divides √v by √(1-β2ᵗ); we multiply by its reciprocal, which saves a
// division per parameter and differs from torch by at most an ulp of √v̂.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define EMB_ADAM_CLONES __attribute__((target_clones("arch=skylake-avx512", "arch=haswell", "default")))
#else
#define EMB_ADAM_CLONES
#endif

EMB_ADAM_CLONES
void adam_kernel(std::size_t n, float* __restrict p, float* __restrict g, float* __restrict m,
                 float* __restrict v, float w1, float b2, float w2, float inv_bc2_sqrt, float eps,
                 float neg_step_size) {
  for (std::size_t i = 0; i < n; ++i) {
    const float gi = g[i];
    g[i] = 0.0f;  // zero_grad folded into the same pass
    const float mi = m[i] + w1 * (gi - m[i]);
    const float vi = v[i] * b2 + w2 * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] += neg_step_size * (mi / (std::sqrt(vi) * inv_bc2_sqrt + eps));
  }
}

}  // namespace

void adam_step(const AdamHyper& hyper, std::int64_t step, std::span<float> params, std::span<float> grads,
               std::span<float> m, std::span<float> v) {
  EMB_ASSERT(step >= 1);
  EMB_ASSERT(params.size() == grads.size() && params.size() == m.size() && params.size() == v.size());
  const double t = static_cast<double>(step);
  const double bias_correction1 = 1.0 - std::pow(hyper.beta1, t);
  const double bias_correction2 = 1.0 - std::pow(hyper.beta2, t);
  const double step_size = static_cast<double>(hyper.lr) / bias_correction1;
  const double bias_correction2_sqrt = std::sqrt(bias_correction2);
  adam_kernel(params.size(), params.data(), grads.data(), m.data(), v.data(), static_cast<float>(1.0 - hyper.beta1),
              static_cast<float>(hyper.beta2), static_cast<float>(1.0 - hyper.beta2),
              static_cast<float>(1.0 / bias_correction2_sqrt), hyper.eps, static_cast<float>(-step_size));
}

}  // namespace emb::train
