#pragma once
// The AVX-512 GELU (erf form) shared by the activation kernel and the GEMM's
// in-register epilogue. Include only from code compiled for, or dispatched
// to, AVX-512 (core/cpu_features.h).
#include "core/avx512_math.h"
#include "core/cpu_features.h"

#if EMB_X86_DISPATCH
#include <immintrin.h>

namespace emb::nn::simd {

/// 0.5·x·(1 + erf(x/√2)) with erf from Abramowitz & Stegun 7.1.26 (absolute
/// error ≤ 1.5e-7). 1 / (1 + p·z) by the 14-bit reciprocal and one Newton
/// step (relative error ~1e-8, below float's rounding) instead of a division,
/// whose unit is not pipelined and was this function's bottleneck.
EMB_TARGET_AVX512 inline __m512 gelu_erf16(__m512 x) {
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
  const __m512 erf_abs =
      _mm512_fnmadd_ps(poly, emb::simd::exp16(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_mul_ps(z, z))), one);
  // erf is odd: take x's sign.
  const __m512 sign = _mm512_and_ps(x, _mm512_set1_ps(-0.0f));
  const __m512 erf = _mm512_or_ps(erf_abs, sign);
  return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), _mm512_add_ps(one, erf));
}

}  // namespace emb::nn::simd
#endif
