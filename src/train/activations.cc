#include "train/activations.h"

#include <bit>
#include <cstdint>

namespace emb::train {
namespace {

// The library builds for baseline x86-64 (SSE2); a sigmoid per hidden unit per
// example per step is hot enough in training to deserve AVX2/AVX-512, so GCC
// emits those variants too and picks one at load time.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define EMB_ACTIVATION_CLONES __attribute__((target_clones("arch=skylake-avx512", "arch=haswell", "default")))
#else
#define EMB_ACTIVATION_CLONES
#endif

// e^x written so that the compiler vectorises it: x = n·ln2 + r with |r| ≤ ln2/2,
// e^r by Cephes' degree-6 polynomial, 2^n placed in the exponent bits.
inline float exp_vectorisable(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float shifter = 12582912.0f;  // 1.5·2²³: adding it rounds to an integer in the low mantissa bits
  const float t = x * 1.44269504088896341f + shifter;
  const float n = t - shifter;
  const std::int32_t n_int = std::bit_cast<std::int32_t>(t) - std::bit_cast<std::int32_t>(shifter);
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  return p * std::bit_cast<float>((n_int + 127) << 23);
}

}  // namespace

EMB_ACTIVATION_CLONES
void sigmoid_inplace(float* __restrict x, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) x[i] = 1.0f / (1.0f + exp_vectorisable(-x[i]));
}

}  // namespace emb::train
