#include "train/adam.h"

#include <cmath>
#include <cstddef>

#include "core/cpu_features.h"
#include "embetter/error.h"
#include "train/adam_avx512.h"

namespace emb::train {
namespace {

// The update is one streaming pass over every parameter; at the sizes we train
// (≈10⁵ parameters, thousands of steps) its square root and division per
// parameter cost as much as the matrix products: both run on the one divider
// unit, which takes ~22 cycles per 16 floats. So there are three variants, picked
// by what the CPU offers: the portable loop (built with -fno-math-errno so that
// sqrt vectorises; no fast-math otherwise), the same loop compiled for AVX2, and
// an AVX-512 kernel that leaves only the square root on the divider and forms
// the reciprocal from the hardware's 14-bit estimate refined by one Newton step
// on the FMA unit (≈28 bits: within an ulp or two of the exact quotient).
// (The AVX-512 update itself is in train/adam_avx512.h, shared with the fused
// FeedForwardTuner step.)

[[gnu::always_inline]] inline void adam_loop(std::size_t n, float* __restrict p, float* __restrict g,
                                             float* __restrict m, float* __restrict v, AdamCoefficients c) {
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

#if EMB_X86_DISPATCH
EMB_TARGET_AVX512 void adam_avx512(std::size_t n, float* p, float* g, float* m, float* v, AdamCoefficients c) {
  const AdamVectors k(c);
  for (std::size_t i = 0; i < n; i += 16) {
    const __mmask16 lanes = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1u);
    const __m512 gi = _mm512_maskz_loadu_ps(lanes, g + i);
    _mm512_mask_storeu_ps(g + i, lanes, _mm512_setzero_ps());  // zero_grad folded into the same pass
    adam_update16(k, gi, lanes, p + i, m + i, v + i);
  }
}
EMB_TARGET_AVX2 void adam_avx2(std::size_t n, float* p, float* g, float* m, float* v, AdamCoefficients c) {
  adam_loop(n, p, g, m, v, c);
}
#endif

void adam_kernel(std::size_t n, float* p, float* g, float* m, float* v, AdamCoefficients c) {
#if EMB_X86_DISPATCH
  if (cpu::has_avx512()) return adam_avx512(n, p, g, m, v, c);
  if (cpu::has_avx2_fma()) return adam_avx2(n, p, g, m, v, c);
#endif
  adam_loop(n, p, g, m, v, c);
}

}  // namespace

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
  adam_kernel(params.size(), params.data(), grads.data(), m.data(), v.data(), coefficients);
}

}  // namespace emb::train
