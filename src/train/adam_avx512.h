#pragma once
// Adam's update of 16 parameters in AVX-512 registers, shared by the plain
// Adam pass (adam.cc) and the FeedForwardTuner's fused step, which applies it
// to a gradient tile while the tile is still in registers. Include only from
// code dispatched to AVX-512.
#include "core/cpu_features.h"
#include "train/adam.h"

#if EMB_X86_DISPATCH
#include <immintrin.h>

namespace emb::train {

/// AdamCoefficients broadcast once per pass.
struct AdamVectors {
  __m512 w1, b2, w2, inv_bc2_sqrt, eps, neg_step_size, two;
  EMB_TARGET_AVX512 explicit AdamVectors(const AdamCoefficients& c)
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
EMB_TARGET_AVX512 inline void adam_update16(const AdamVectors& k, __m512 g, __mmask16 lanes, float* p, float* m,
                                            float* v) {
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

}  // namespace emb::train
#endif
