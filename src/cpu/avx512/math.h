#pragma once
// Vector math shared by the AVX-512 kernels (the encoder's GELU and softmax,
// the FeedForwardTuner's sigmoid, Adam's update). Included only by
// translation units compiled for AVX-512 (cpu/CMakeLists.txt); everything
// here lives in emb::cpu::avx512, so no copy of it can be picked by the
// linker for code of another level.
#include <immintrin.h>

#include <cstddef>

#include "cpu/kernel_table.h"

namespace emb::cpu::avx512 {

inline __mmask16 tail_mask(std::size_t left) {
  return left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
}

/// e^x for x ≤ 88: x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by its Taylor
/// series to r⁷ (relative error < 1e-8 there), times 2^n by scalef (which
/// also flushes large negative n to 0).
inline __m512 exp16(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-104.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  // ln 2 split so that n · ln2_hi is exact.
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.0f / 5040);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

/// σ(x) = 1 / (1 + e^(−x)), with an exact division.
inline __m512 sigmoid16(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  return _mm512_div_ps(one, _mm512_add_ps(one, exp16(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

/// 0.5·x·(1 + erf(x/√2)) with erf from Abramowitz & Stegun 7.1.26 (absolute
/// error ≤ 1.5e-7). 1 / (1 + p·z) by the 14-bit reciprocal and one Newton
/// step (relative error ~1e-8, below float's rounding) instead of a division,
/// whose unit is not pipelined and was this function's bottleneck.
inline __m512 gelu_erf16(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 z = _mm512_abs_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752440f)));
  const __m512 den = _mm512_fmadd_ps(z, _mm512_set1_ps(0.3275911f), one);
  __m512 t = _mm512_rcp14_ps(den);
  t = _mm512_fmadd_ps(t, _mm512_fnmadd_ps(den, t, one), t);
  __m512 poly = _mm512_set1_ps(1.061405429f);
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(-1.453152027f));
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(1.421413741f));
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(-0.284496736f));
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(0.254829592f));
  poly = _mm512_mul_ps(poly, t);
  const __m512 erf_abs = _mm512_fnmadd_ps(poly, exp16(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_mul_ps(z, z))), one);
  // erf is odd: take x's sign.
  const __m512 sign = _mm512_and_ps(x, _mm512_set1_ps(-0.0f));
  const __m512 erf = _mm512_or_ps(erf_abs, sign);
  return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), _mm512_add_ps(one, erf));
}

/// AdamCoefficients broadcast once per pass.
struct AdamVectors {
  __m512 w1, b2, w2, inv_bc2_sqrt, eps, neg_step_size, two;
  explicit AdamVectors(const AdamCoefficients& c)
      : w1(_mm512_set1_ps(c.w1)),
        b2(_mm512_set1_ps(c.b2)),
        w2(_mm512_set1_ps(c.w2)),
        inv_bc2_sqrt(_mm512_set1_ps(c.inv_bc2_sqrt)),
        eps(_mm512_set1_ps(c.eps)),
        neg_step_size(_mm512_set1_ps(c.neg_step_size)),
        two(_mm512_set1_ps(2.0f)) {}
};

/// m ← m + w1(g − m), v ← β2·v + w2·g², p ← p − step·m / (√v·inv_bc2_sqrt + eps)
/// for the lanes set in `lanes`. √v runs on the divider unit, beside the FMA
/// unit; 1/(√v̂ + eps) is the 14-bit reciprocal estimate refined by one Newton
/// step q ← q(2 − dq) on the FMA unit (≈28 bits: within an ulp or two of the
/// exact quotient).
inline void adam_update16(const AdamVectors& k, __m512 g, __mmask16 lanes, float* p, float* m, float* v) {
  __m512 mi = _mm512_maskz_loadu_ps(lanes, m);
  mi = _mm512_fmadd_ps(k.w1, _mm512_sub_ps(g, mi), mi);
  const __m512 vi = _mm512_fmadd_ps(k.w2, _mm512_mul_ps(g, g), _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes, v), k.b2));
  _mm512_mask_storeu_ps(m, lanes, mi);
  _mm512_mask_storeu_ps(v, lanes, vi);
  const __m512 denom = _mm512_fmadd_ps(_mm512_maskz_sqrt_ps(lanes, vi), k.inv_bc2_sqrt, k.eps);
  __m512 q = _mm512_maskz_rcp14_ps(lanes, denom);
  q = _mm512_mul_ps(q, _mm512_fnmadd_ps(denom, q, k.two));
  const __m512 pi = _mm512_fmadd_ps(k.neg_step_size, _mm512_mul_ps(mi, q), _mm512_maskz_loadu_ps(lanes, p));
  _mm512_mask_storeu_ps(p, lanes, pi);
}

// The level's kernels (the other avx512/*.cc files), for its table.
void gemm_packed(const float* x, std::size_t ldx, std::size_t m, const PackedMatrix& w, float* y, std::size_t ldy,
                 const Epilogue& epilogue, RowBlockHook hook);
void bias_activation(float* y, std::size_t rows, std::size_t cols, const float* bias, Activation act);
void residual_layer_norm(float* x, const float* y, const float* bias, std::size_t rows, std::size_t cols,
                         const float* gamma, const float* beta, float eps, float* stats);
void softmax_rows(float* x, std::size_t rows, std::size_t cols, std::size_t ld);
void attention_head(const float* q, const float* k, const float* v, std::size_t ld, std::size_t t,
                    std::size_t head_dim, float scale, const float* bias, float* scratch, float* context,
                    std::size_t ldc);
bool attention_supports(std::size_t head_dim);
std::size_t attention_scratch_floats(std::size_t t, std::size_t head_dim);
void csr_times_block(const CsrMatrix& a, const float* b, float* c);
void csr_gram_block(const CsrMatrix& a, const float* q, float* w);
void csr_gram_block_double(const CsrMatrix& a, const float* q, double* w);
void adam(std::size_t n, float* p, float* g, float* m, float* v, const AdamCoefficients& c);
void ff_hidden(const float* const* x, std::size_t batch, std::size_t n_in, std::size_t hidden, std::size_t hp,
               std::size_t v0, std::size_t v1, const float* w1t, const float* b1, float* h);
void ff_partial_logits(const float* h, std::size_t batch, std::size_t classes, std::size_t hp, std::size_t v0,
                       std::size_t v1, const float* w2, float* out);
void ff_hidden_gradients(const float* h, const float* d_logits, std::size_t batch, std::size_t classes,
                         std::size_t hp, std::size_t v0, std::size_t v1, const float* w2, float* dz, float* g_b1,
                         float* g_w2);
void ff_first_layer_adam(const float* const* x, std::size_t batch, std::size_t n_in, std::size_t hp, std::size_t v0,
                         std::size_t v1, const float* dz, float* p, float* m, float* v, const AdamCoefficients& c);

}  // namespace emb::cpu::avx512
