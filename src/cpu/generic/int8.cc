// The portable reference of the int8 product (nn/quantized_gemm.h): exact
// integer dot products per weight group, then the float steps in the order
// every level follows, so that all levels give bitwise this result.
#include <algorithm>
#include <cmath>

#include "cpu/generic/generic.h"

namespace emb::cpu::generic {
namespace {

std::size_t padded_k(std::size_t k) { return (k + 3) / 4 * 4; }

}  // namespace

float outlier_threshold(const float* lanes16, std::size_t k) noexcept {
  double sum_of_squares = 0.0;
  for (int j = 0; j < 16; ++j) sum_of_squares += static_cast<double>(lanes16[j]);
  return static_cast<float>(std::sqrt(kOutlierRms * kOutlierRms * sum_of_squares / static_cast<double>(k)));
}

float set_range(float lo, float hi, float& scale, float& zero_point) noexcept {
  scale = (hi - lo) / 255.0f;
  if (!(scale > 0.0f)) scale = 1.0f;
  const float inverse = 1.0f / scale;
  // Through int: a −0 from −lo would otherwise become a −0 zero point.
  zero_point = static_cast<float>(std::clamp(static_cast<int>(std::nearbyint(-lo * inverse)), 0, 255));
  return inverse;
}

void quantize_row(const float* x, std::size_t k, std::uint8_t* q, float& scale, float& zero_point,
                  std::uint32_t* outlier_index, float* outlier_value, std::uint32_t& outlier_count) {
  // The squares summed into 64 lanes (lane = i mod 64) by fused
  // multiply-adds, folded to 16 as (l[j] + l[16 + j]) + (l[32 + j] + l[48 + j]):
  // the order every level's vector code follows.
  float lanes[64] = {};
  for (std::size_t i = 0; i < k; ++i) lanes[i % 64] = std::fma(x[i], x[i], lanes[i % 64]);
  float lanes16[16];
  for (int j = 0; j < 16; ++j) lanes16[j] = (lanes[j] + lanes[16 + j]) + (lanes[32 + j] + lanes[48 + j]);
  const float limit = outlier_threshold(lanes16, k);
  float lo = 0.0f, hi = 0.0f;
  outlier_count = 0;
  for (std::size_t i = 0; i < k; ++i) {
    if (std::fabs(x[i]) > limit) {
      outlier_index[outlier_count] = static_cast<std::uint32_t>(i);
      outlier_value[outlier_count++] = x[i];
    } else {
      lo = std::min(lo, x[i]);
      hi = std::max(hi, x[i]);
    }
  }
  const float inverse = set_range(lo, hi, scale, zero_point);
  const auto zp = static_cast<int>(zero_point);
  for (std::size_t i = 0; i < padded_k(k); ++i) {
    int v = zp;
    if (i < k && !(std::fabs(x[i]) > limit))
      v = std::clamp(static_cast<int>(std::nearbyint(x[i] * inverse)) + zp, 0, 255);
    q[i] = static_cast<std::uint8_t>(v);
  }
}

void finish_int8_row(const Int8Matrix& w, float scale, float zero_point, std::uint32_t outliers,
                     const std::uint32_t* outlier_index, const float* outlier_value, float* y) {
  for (std::size_t c = 0; c < w.n; ++c) {
    float v = std::fma(-zero_point, w.zero_sums[c], y[c]) * scale;
    for (std::size_t o = 0; o < outliers; ++o) v = std::fma(outlier_value[o], w.columns[outlier_index[o] * w.n + c], v);
    y[c] = v;
  }
}

std::size_t int8_q_bytes(std::size_t rows, std::size_t k) noexcept { return rows * padded_k(k); }

void int8_block(const float* x, std::size_t ldx, std::size_t rows, const Int8Matrix& w, float* y, std::size_t ldy,
                const Epilogue& epilogue, const Int8Scratch& s) {
  const std::size_t k = w.k, n = w.n, lda = padded_k(k);
  for (std::size_t r = 0; r < rows; ++r) {
    std::uint8_t* q = s.q + r * lda;
    quantize_row(x + r * ldx, k, q, s.scale[r], s.zero_point[r], s.outlier_index + r * k, s.outlier_value + r * k,
                 s.outlier_count[r]);
    // Panel by panel: 16 columns' integer sums over each group's quads (the
    // padding past k is the zero point times a zero weight).
    float* yr = y + r * ldy;
    const std::size_t quads = w.quads(), group_quads = kInt8Group / 4;
    for (std::size_t p = 0; p < w.panels(); ++p) {
      float f[kInt8Panel] = {};
      for (std::size_t g = 0; g < w.groups(); ++g) {
        std::int32_t acc[kInt8Panel] = {};
        const std::size_t q_end = std::min(quads, (g + 1) * group_quads);
        for (std::size_t qd = g * group_quads; qd < q_end; ++qd) {
          const std::int8_t* b = w.packed + (p * quads + qd) * kInt8Panel * 4;
          const std::uint8_t* a = q + 4 * qd;
          for (std::size_t j = 0; j < kInt8Panel; ++j)
            for (std::size_t i = 0; i < 4; ++i)
              acc[j] += static_cast<std::int32_t>(a[i]) * static_cast<std::int32_t>(b[j * 4 + i]);
        }
        const float* scales = w.scales + g * w.padded_n() + p * kInt8Panel;
        for (std::size_t j = 0; j < kInt8Panel; ++j) f[j] = std::fma(static_cast<float>(acc[j]), scales[j], f[j]);
      }
      for (std::size_t j = 0; j < kInt8Panel && p * kInt8Panel + j < n; ++j) yr[p * kInt8Panel + j] = f[j];
    }
    finish_int8_row(w, s.scale[r], s.zero_point[r], s.outlier_count[r], s.outlier_index + r * k,
                    s.outlier_value + r * k, yr);
    if (epilogue.bias || epilogue.activation != Activation::Identity)
      bias_activation(yr, 1, n, epilogue.bias, epilogue.activation);
  }
}

}  // namespace emb::cpu::generic
