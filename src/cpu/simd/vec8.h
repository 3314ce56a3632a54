#pragma once
// Eight floats and the operations the AVX2 and NEON kernels need, so that
// one source (cpu/simd/*.h) serves both levels: one 256-bit register on
// AVX2, two 128-bit registers on NEON. Included only by a level's own
// translation unit, after it defines EMB_SIMD_NAMESPACE (avx2 or neon): every
// function here then lives in that level's namespace, compiled with its
// flags, and no copy of it can be picked by the linker for code of another
// level (the same idea as Highway's HWY_NAMESPACE).
#ifndef EMB_SIMD_NAMESPACE
#error "define EMB_SIMD_NAMESPACE (the level) before including cpu/simd/vec8.h"
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#else
#error "cpu/simd/vec8.h: AVX2 (x86-64) or NEON (aarch64) only"
#endif

#define EMB_INLINE [[gnu::always_inline]] inline

namespace emb::cpu::EMB_SIMD_NAMESPACE {

inline constexpr std::size_t kLanes8 = 8;

#if defined(__x86_64__)

struct F8 {
  __m256 v;
};
struct D4 {
  __m256d v;
};

EMB_INLINE F8 zero8() { return {_mm256_setzero_ps()}; }
EMB_INLINE F8 set8(float x) { return {_mm256_set1_ps(x)}; }
EMB_INLINE F8 load8(const float* p) { return {_mm256_loadu_ps(p)}; }
EMB_INLINE void store8(float* p, F8 a) { _mm256_storeu_ps(p, a.v); }
EMB_INLINE F8 operator+(F8 a, F8 b) { return {_mm256_add_ps(a.v, b.v)}; }
EMB_INLINE F8 operator-(F8 a, F8 b) { return {_mm256_sub_ps(a.v, b.v)}; }
EMB_INLINE F8 operator*(F8 a, F8 b) { return {_mm256_mul_ps(a.v, b.v)}; }
EMB_INLINE F8 operator/(F8 a, F8 b) { return {_mm256_div_ps(a.v, b.v)}; }
EMB_INLINE F8 max8(F8 a, F8 b) { return {_mm256_max_ps(a.v, b.v)}; }
EMB_INLINE F8 min8(F8 a, F8 b) { return {_mm256_min_ps(a.v, b.v)}; }
/// a·b + c with one rounding.
EMB_INLINE F8 fma8(F8 a, F8 b, F8 c) { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
/// c − a·b with one rounding.
EMB_INLINE F8 fnma8(F8 a, F8 b, F8 c) { return {_mm256_fnmadd_ps(a.v, b.v, c.v)}; }
EMB_INLINE F8 sqrt8(F8 a) { return {_mm256_sqrt_ps(a.v)}; }
/// 1/a from the 12-bit estimate and one Newton step q(2 − aq) on the FMA
/// unit (≈23 bits: within an ulp or two of the quotient), where a division
/// would wait on the divider, which the square root also needs.
EMB_INLINE F8 reciprocal8(F8 a) {
  const __m256 q = _mm256_rcp_ps(a.v);
  return {_mm256_mul_ps(q, _mm256_fnmadd_ps(a.v, q, _mm256_set1_ps(2.0f)))};
}
EMB_INLINE F8 abs8(F8 a) { return {_mm256_andnot_ps(_mm256_set1_ps(-0.0f), a.v)}; }
/// |magnitude| with the sign of `sign`.
EMB_INLINE F8 copysign8(F8 magnitude, F8 sign) {
  const __m256 bit = _mm256_set1_ps(-0.0f);
  return {_mm256_or_ps(_mm256_andnot_ps(bit, magnitude.v), _mm256_and_ps(bit, sign.v))};
}
EMB_INLINE F8 round8(F8 a) { return {_mm256_round_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
/// 2^n for whole n in [−126, 127], by the exponent bits.
EMB_INLINE F8 pow2_8(F8 n) {
  const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n.v), _mm256_set1_epi32(127));
  return {_mm256_castsi256_ps(_mm256_slli_epi32(e, 23))};
}

EMB_INLINE __m256i lane_mask(std::size_t n) {
  static constexpr std::int32_t kBits[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kBits + 8 - (n < 8 ? n : 8)));
}
/// Lanes i < n from p, the rest 0 (nothing past p + n is read).
EMB_INLINE F8 load_first8(const float* p, std::size_t n) { return {_mm256_maskload_ps(p, lane_mask(n))}; }
/// Lanes i < n to p (nothing past p + n is written). Through a buffer:
/// AMD's vmaskmovps store is microcoded, many times slower than this.
EMB_INLINE void store_first8(float* p, F8 a, std::size_t n) {
  alignas(32) float buffer[8];
  _mm256_store_ps(buffer, a.v);
  std::memcpy(p, buffer, (n < 8 ? n : 8) * sizeof(float));
}
/// Lanes i < n from a, the rest from b.
EMB_INLINE F8 select_first8(std::size_t n, F8 a, F8 b) {
  return {_mm256_blendv_ps(b.v, a.v, _mm256_castsi256_ps(lane_mask(n)))};
}

EMB_INLINE float reduce_add8(F8 a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
EMB_INLINE float reduce_max8(F8 a) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

EMB_INLINE D4 zero4d() { return {_mm256_setzero_pd()}; }
EMB_INLINE D4 set4d(double x) { return {_mm256_set1_pd(x)}; }
EMB_INLINE D4 widen_low(F8 a) { return {_mm256_cvtps_pd(_mm256_castps256_ps128(a.v))}; }
EMB_INLINE D4 widen_high(F8 a) { return {_mm256_cvtps_pd(_mm256_extractf128_ps(a.v, 1))}; }
EMB_INLINE D4 operator+(D4 a, D4 b) { return {_mm256_add_pd(a.v, b.v)}; }
EMB_INLINE D4 operator-(D4 a, D4 b) { return {_mm256_sub_pd(a.v, b.v)}; }
EMB_INLINE D4 fma4d(D4 a, D4 b, D4 c) { return {_mm256_fmadd_pd(a.v, b.v, c.v)}; }
EMB_INLINE double reduce_add4d(D4 a) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(a.v), _mm256_extractf128_pd(a.v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

/// Each value rounded to IEEE half precision and back (F16C, to nearest even).
EMB_INLINE F8 round_to_half8(F8 a) {
  return {_mm256_cvtph_ps(_mm256_cvtps_ph(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC))};
}

/// dst[i · ldd + r] = src[r · ld + i] for an 8 × 8 block, rows r ≥ rows read
/// as zeros: three rounds of unpacks and lane shuffles.
EMB_INLINE void transpose8(const float* src, std::size_t ld, std::size_t rows, float* dst, std::size_t ldd) {
  __m256 r[8];
  for (std::size_t i = 0; i < 8; ++i) r[i] = i < rows ? _mm256_loadu_ps(src + i * ld) : _mm256_setzero_ps();
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(dst + 0 * ldd, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(dst + 1 * ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(dst + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(dst + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(dst + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(dst + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(dst + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(dst + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
}

#else  // aarch64 NEON

struct F8 {
  float32x4_t lo, hi;
};
struct D4 {
  float64x2_t lo, hi;
};

EMB_INLINE F8 zero8() { return {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)}; }
EMB_INLINE F8 set8(float x) { return {vdupq_n_f32(x), vdupq_n_f32(x)}; }
EMB_INLINE F8 load8(const float* p) { return {vld1q_f32(p), vld1q_f32(p + 4)}; }
EMB_INLINE void store8(float* p, F8 a) {
  vst1q_f32(p, a.lo);
  vst1q_f32(p + 4, a.hi);
}
EMB_INLINE F8 operator+(F8 a, F8 b) { return {vaddq_f32(a.lo, b.lo), vaddq_f32(a.hi, b.hi)}; }
EMB_INLINE F8 operator-(F8 a, F8 b) { return {vsubq_f32(a.lo, b.lo), vsubq_f32(a.hi, b.hi)}; }
EMB_INLINE F8 operator*(F8 a, F8 b) { return {vmulq_f32(a.lo, b.lo), vmulq_f32(a.hi, b.hi)}; }
EMB_INLINE F8 operator/(F8 a, F8 b) { return {vdivq_f32(a.lo, b.lo), vdivq_f32(a.hi, b.hi)}; }
EMB_INLINE F8 max8(F8 a, F8 b) { return {vmaxq_f32(a.lo, b.lo), vmaxq_f32(a.hi, b.hi)}; }
EMB_INLINE F8 min8(F8 a, F8 b) { return {vminq_f32(a.lo, b.lo), vminq_f32(a.hi, b.hi)}; }
EMB_INLINE F8 fma8(F8 a, F8 b, F8 c) { return {vfmaq_f32(c.lo, a.lo, b.lo), vfmaq_f32(c.hi, a.hi, b.hi)}; }
EMB_INLINE F8 fnma8(F8 a, F8 b, F8 c) { return {vfmsq_f32(c.lo, a.lo, b.lo), vfmsq_f32(c.hi, a.hi, b.hi)}; }
EMB_INLINE F8 sqrt8(F8 a) { return {vsqrtq_f32(a.lo), vsqrtq_f32(a.hi)}; }
/// 1/a from the 8-bit estimate and two Newton steps (vrecps: 2 − aq).
EMB_INLINE F8 reciprocal8(F8 a) {
  float32x4_t lo = vrecpeq_f32(a.lo), hi = vrecpeq_f32(a.hi);
  lo = vmulq_f32(lo, vrecpsq_f32(a.lo, lo));
  hi = vmulq_f32(hi, vrecpsq_f32(a.hi, hi));
  return {vmulq_f32(lo, vrecpsq_f32(a.lo, lo)), vmulq_f32(hi, vrecpsq_f32(a.hi, hi))};
}
EMB_INLINE F8 abs8(F8 a) { return {vabsq_f32(a.lo), vabsq_f32(a.hi)}; }
EMB_INLINE F8 copysign8(F8 magnitude, F8 sign) {
  const uint32x4_t bit = vdupq_n_u32(0x80000000u);
  return {vbslq_f32(bit, sign.lo, magnitude.lo), vbslq_f32(bit, sign.hi, magnitude.hi)};
}
EMB_INLINE F8 round8(F8 a) { return {vrndnq_f32(a.lo), vrndnq_f32(a.hi)}; }
EMB_INLINE F8 pow2_8(F8 n) {
  const int32x4_t bias = vdupq_n_s32(127);
  return {vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vcvtnq_s32_f32(n.lo), bias), 23)),
          vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vcvtnq_s32_f32(n.hi), bias), 23))};
}

EMB_INLINE uint32x4_t lane_mask4(std::size_t n) {
  static constexpr std::uint32_t kBits[8] = {~0u, ~0u, ~0u, ~0u, 0, 0, 0, 0};
  return vld1q_u32(kBits + 4 - (n < 4 ? n : 4));
}
EMB_INLINE F8 load_first8(const float* p, std::size_t n) {
  float buffer[8] = {};
  std::memcpy(buffer, p, (n < 8 ? n : 8) * sizeof(float));
  return load8(buffer);
}
EMB_INLINE void store_first8(float* p, F8 a, std::size_t n) {
  float buffer[8];
  store8(buffer, a);
  std::memcpy(p, buffer, (n < 8 ? n : 8) * sizeof(float));
}
EMB_INLINE F8 select_first8(std::size_t n, F8 a, F8 b) {
  return {vbslq_f32(lane_mask4(n), a.lo, b.lo), vbslq_f32(lane_mask4(n > 4 ? n - 4 : 0), a.hi, b.hi)};
}

EMB_INLINE float reduce_add8(F8 a) { return vaddvq_f32(vaddq_f32(a.lo, a.hi)); }
EMB_INLINE float reduce_max8(F8 a) { return vmaxvq_f32(vmaxq_f32(a.lo, a.hi)); }

EMB_INLINE D4 zero4d() { return {vdupq_n_f64(0.0), vdupq_n_f64(0.0)}; }
EMB_INLINE D4 set4d(double x) { return {vdupq_n_f64(x), vdupq_n_f64(x)}; }
EMB_INLINE D4 widen_low(F8 a) { return {vcvt_f64_f32(vget_low_f32(a.lo)), vcvt_high_f64_f32(a.lo)}; }
EMB_INLINE D4 widen_high(F8 a) { return {vcvt_f64_f32(vget_low_f32(a.hi)), vcvt_high_f64_f32(a.hi)}; }
EMB_INLINE D4 operator+(D4 a, D4 b) { return {vaddq_f64(a.lo, b.lo), vaddq_f64(a.hi, b.hi)}; }
EMB_INLINE D4 operator-(D4 a, D4 b) { return {vsubq_f64(a.lo, b.lo), vsubq_f64(a.hi, b.hi)}; }
EMB_INLINE D4 fma4d(D4 a, D4 b, D4 c) { return {vfmaq_f64(c.lo, a.lo, b.lo), vfmaq_f64(c.hi, a.hi, b.hi)}; }
EMB_INLINE double reduce_add4d(D4 a) { return vaddvq_f64(vaddq_f64(a.lo, a.hi)); }

EMB_INLINE F8 round_to_half8(F8 a) {
  return {vcvt_f32_f16(vcvt_f16_f32(a.lo)), vcvt_f32_f16(vcvt_f16_f32(a.hi))};
}

EMB_INLINE void transpose8(const float* src, std::size_t ld, std::size_t rows, float* dst, std::size_t ldd) {
  for (std::size_t i = 0; i < 8; ++i)
    for (std::size_t r = 0; r < 8; ++r) dst[i * ldd + r] = r < rows ? src[r * ld + i] : 0.0f;
}

#endif

EMB_INLINE void prefetch_l1(const void* p) { __builtin_prefetch(p, 0, 3); }
EMB_INLINE void prefetch_l2(const void* p) { __builtin_prefetch(p, 0, 2); }

/// e^x: x clamped to [−87, 88] (e^−87 ≈ 1.6e−38 stands for anything smaller),
/// x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by its Taylor series to r⁷
/// (relative error < 1e−8 there), times 2^n by the exponent bits.
EMB_INLINE F8 exp8(F8 x) {
  x = min8(max8(x, set8(-87.0f)), set8(88.0f));
  const F8 n = round8(x * set8(1.44269504088896341f));
  // ln 2 split so that n · ln2_hi is exact.
  F8 r = fnma8(n, set8(0.693359375f), x);
  r = fnma8(n, set8(-2.12194440e-4f), r);
  F8 p = set8(1.0f / 5040);
  p = fma8(p, r, set8(1.0f / 720));
  p = fma8(p, r, set8(1.0f / 120));
  p = fma8(p, r, set8(1.0f / 24));
  p = fma8(p, r, set8(1.0f / 6));
  p = fma8(p, r, set8(0.5f));
  p = fma8(p, r, set8(1.0f));
  p = fma8(p, r, set8(1.0f));
  return p * pow2_8(n);
}

/// σ(x) = 1 / (1 + e^(−x)), with an exact division.
EMB_INLINE F8 sigmoid8(F8 x) {
  const F8 one = set8(1.0f);
  return one / (one + exp8(zero8() - x));
}

/// 0.5·x·(1 + erf(x/√2)) with erf from Abramowitz & Stegun 7.1.28: for
/// z ≥ 0, 1 − erf(z) = 1/(1 + a1·z + … + a6·z⁶)^16, absolute error ≤ 3e−7
/// (GELU within 8e−7 of the exact value on [−8, 8]). No exponential and one
/// reciprocal: about half the operations of 7.1.26's form with e^(−z²), which
/// the AVX-512 level keeps; in the intermediate product's epilogue that form
/// took ~3% of short texts' time at avx2. |x|/√2 is capped at 6 (erf(6) = 1
/// in float), where the 16th power is still finite.
///
/// N vectors at once, stage by stage: the GEMM tile's epilogue runs it on
/// two rows' accumulators, four chains of ~20 dependent operations in flight
/// instead of one; with the 1/√2 folded into the coefficients and the sign
/// handled by max(0, x) − |x|·h, each takes 14 multiplies and multiply-adds
/// where it took 15 and a blend. Its share of the tile in `perf` went from
/// 2.5% to 1.4% (short texts at avx2).
namespace gelu_detail {
// 7.1.28's a1 … a6 times 2^(−i/2), so that the polynomial takes |x| itself.
constexpr double kA[6] = {0.0705230784, 0.0422820123, 0.0092705272, 0.0001520143, 0.0002765672, 0.0000430638};
constexpr float scaled(int i) {
  double c = kA[i];
  for (int j = 0; j <= i; ++j) c *= 0.70710678118654752440;
  return static_cast<float>(c);
}
}  // namespace gelu_detail

template <int N>
EMB_INLINE void gelu_erf8_n(F8* x) {
  using gelu_detail::scaled;
  F8 z[N], p[N];
  for (int i = 0; i < N; ++i) z[i] = min8(abs8(x[i]), set8(8.48528137423857029f));   // |x|/√2 ≤ 6
  for (int i = 0; i < N; ++i) p[i] = fma8(set8(scaled(5)), z[i], set8(scaled(4)));
  for (int i = 0; i < N; ++i) p[i] = fma8(p[i], z[i], set8(scaled(3)));
  for (int i = 0; i < N; ++i) p[i] = fma8(p[i], z[i], set8(scaled(2)));
  for (int i = 0; i < N; ++i) p[i] = fma8(p[i], z[i], set8(scaled(1)));
  for (int i = 0; i < N; ++i) p[i] = fma8(p[i], z[i], set8(scaled(0)));
  for (int i = 0; i < N; ++i) p[i] = fma8(p[i], z[i], set8(1.0f));
  for (int s = 0; s < 4; ++s)
    for (int i = 0; i < N; ++i) p[i] = p[i] * p[i];
  // x·Φ(x) = max(0, x) − |x|·(1 − erf(|x|/√2))/2, for either sign of x;
  // |x| capped there too (past the cap the term is below 1e−16), so that
  // +∞ stays +∞ rather than ∞ − ∞; max8(0, x) returns x when it is NaN.
  for (int i = 0; i < N; ++i) x[i] = fnma8(z[i] * set8(0.5f), reciprocal8(p[i]), max8(zero8(), x[i]));
}

EMB_INLINE F8 gelu_erf8(F8 x) {
  gelu_erf8_n<1>(&x);
  return x;
}

}  // namespace emb::cpu::EMB_SIMD_NAMESPACE
