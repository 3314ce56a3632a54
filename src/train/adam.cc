#include "train/adam.h"

#include <cmath>
#include <cstddef>
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#endif

#include "core/cpu_features.h"
#include "embetter/error.h"

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
// torch divides √v by √(1-β2ᵗ); we multiply by its reciprocal, which saves a
// division per parameter and differs from torch by at most an ulp of √v̂.
struct AdamCoefficients {
  float w1, b2, w2, inv_bc2_sqrt, eps, neg_step_size;
};

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
  const __m512 w1 = _mm512_set1_ps(c.w1), b2 = _mm512_set1_ps(c.b2), w2 = _mm512_set1_ps(c.w2);
  const __m512 inv_bc2_sqrt = _mm512_set1_ps(c.inv_bc2_sqrt), eps = _mm512_set1_ps(c.eps);
  const __m512 neg_step_size = _mm512_set1_ps(c.neg_step_size);
  const __m512 two = _mm512_set1_ps(2.0f);
  const __m512 zero = _mm512_setzero_ps();
  for (std::size_t i = 0; i < n; i += 16) {
    const __mmask16 lanes = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1u);
    const __m512 gi = _mm512_maskz_loadu_ps(lanes, g + i);
    _mm512_mask_storeu_ps(g + i, lanes, zero);  // zero_grad folded into the same pass
    __m512 mi = _mm512_maskz_loadu_ps(lanes, m + i);
    mi = _mm512_fmadd_ps(w1, _mm512_sub_ps(gi, mi), mi);
    const __m512 vi = _mm512_fmadd_ps(w2, _mm512_mul_ps(gi, gi), _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes, v + i), b2));
    _mm512_mask_storeu_ps(m + i, lanes, mi);
    _mm512_mask_storeu_ps(v + i, lanes, vi);
    // √v on the divider unit, which runs beside the FMA unit; 1/(√v̂ + eps) as
    // the 14-bit reciprocal estimate refined by q ← q (2 - d q) on the FMA unit.
    const __m512 denom = _mm512_fmadd_ps(_mm512_maskz_sqrt_ps(lanes, vi), inv_bc2_sqrt, eps);
    __m512 q = _mm512_maskz_rcp14_ps(lanes, denom);
    q = _mm512_mul_ps(q, _mm512_fnmadd_ps(denom, q, two));
    const __m512 pi = _mm512_fmadd_ps(neg_step_size, _mm512_mul_ps(mi, q), _mm512_maskz_loadu_ps(lanes, p + i));
    _mm512_mask_storeu_ps(p + i, lanes, pi);
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

void adam_step(const AdamHyper& hyper, std::int64_t step, std::span<float> params, std::span<float> grads,
               std::span<float> m, std::span<float> v) {
  EMB_ASSERT(step >= 1);
  EMB_ASSERT(params.size() == grads.size() && params.size() == m.size() && params.size() == v.size());
  const double t = static_cast<double>(step);
  const double bias_correction1 = 1.0 - std::pow(hyper.beta1, t);
  const double bias_correction2 = 1.0 - std::pow(hyper.beta2, t);
  const double step_size = static_cast<double>(hyper.lr) / bias_correction1;
  const double bias_correction2_sqrt = std::sqrt(bias_correction2);
  const AdamCoefficients c{.w1 = static_cast<float>(1.0 - hyper.beta1),
                           .b2 = static_cast<float>(hyper.beta2),
                           .w2 = static_cast<float>(1.0 - hyper.beta2),
                           .inv_bc2_sqrt = static_cast<float>(1.0 / bias_correction2_sqrt),
                           .eps = hyper.eps,
                           .neg_step_size = static_cast<float>(-step_size)};
  adam_kernel(params.size(), params.data(), grads.data(), m.data(), v.data(), c);
}

}  // namespace emb::train
