#pragma once
// y ≈ x · Wᵀ in int8 (issue 5, precision="int8"): W quantized once at load,
// symmetric int8 with one scale per output column and group of kGroup inputs;
// each row of x quantized on the fly to uint8 with its own scale and zero
// point, except its outliers (|x| > kOutlierRms × the row's RMS), which are
// left out of the integer product and added in float afterwards. Measured on
// all-MiniLM-L6-v2 (IMDB reviews): one scale per whole column, or no outlier
// split, leaves texts below cosine 0.999 against fp32; with both, the worst
// text stays near 0.9993.
//
// The integer products are exact and every float step is one rounding in a
// fixed order (the same fused multiply-adds on every level), so the levels'
// kernels (cpu/: VNNI's vpdpbusd, AVX2's vpmaddwd, the portable loop) give
// bitwise the same product, and a row's result never depends on the other
// rows of the product.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/aligned_vector.h"
#include "core/isa.h"
#include "cpu/kernel_table.h"
#include "nn/gemm.h"

namespace emb::nn {

class QuantizedWeights {
 public:
  static constexpr std::size_t kPanel = cpu::kInt8Panel;   ///< output columns per packed panel
  static constexpr std::size_t kGroup = cpu::kInt8Group;   ///< inputs sharing one weight scale

  QuantizedWeights() = default;
  /// w: n × k float32, PyTorch's nn.Linear layout. `isa`: the level whose
  /// kernel will multiply them; where that kernel works on int16 (AVX2), the
  /// values are kept as int16 too (twice the int8 bytes, half the fp32 ones).
  QuantizedWeights(const float* w, std::size_t n, std::size_t k, Isa isa = cpu_isa());

  std::size_t n() const noexcept { return n_; }
  std::size_t k() const noexcept { return k_; }
  /// k rounded up to a multiple of 4 (VNNI multiplies 4 bytes at a time), over 4.
  std::size_t quads() const noexcept { return (k_ + 3) / 4; }
  std::size_t groups() const noexcept { return (k_ + kGroup - 1) / kGroup; }
  std::size_t panels() const noexcept { return (n_ + kPanel - 1) / kPanel; }
  /// Columns padded to whole panels (the stride of scales()).
  std::size_t padded_n() const noexcept { return panels() * kPanel; }

  /// The quantized weight W[c, i] ≈ value(c, i) · scale(c, i / kGroup).
  std::int8_t value(std::size_t c, std::size_t i) const noexcept {
    return packed()[((c / kPanel * quads() + i / 4) * kPanel + c % kPanel) * 4 + i % 4];
  }
  float scale(std::size_t c, std::size_t group) const noexcept { return scales_[group * padded_n() + c]; }

  /// Panel p, quad q: 16 columns × 4 bytes at packed()[((p·quads + q)·16 + j)·4 + b] = value(16p + j, 4q + b).
  const std::int8_t* packed() const noexcept;
  /// scale(c, g) at scales()[g · padded_n() + c] (0 past n).
  const float* scales() const noexcept { return scales_.data(); }
  /// Σ_g scale(c, g) · Σ_{i in g} value(c, i): what a zero point shifts (0 past n).
  const float* zero_point_sums() const noexcept { return zero_sums_.data(); }
  /// W[c, i] itself (float32) at columns()[i · n + c]: what an outlier input
  /// multiplies (exactly: the outliers carry most of the quantization error).
  const float* columns() const noexcept { return columns_.data(); }
  /// What the kernels take.
  cpu::Int8Matrix view() const noexcept {
    return {packed(), scales(), zero_point_sums(), columns(), n_, k_, wide_.empty() ? nullptr : wide_.data()};
  }

 private:
  std::int8_t* packed_base() noexcept;

  std::size_t n_ = 0, k_ = 0;
  std::vector<std::int8_t> packed_;   ///< over-allocated by 64 bytes; packed() is the aligned start
  std::vector<float> scales_, zero_sums_;
  std::vector<float> columns_;
  AlignedVector<std::int16_t> wide_;   ///< packed()'s values as int16, or empty
};

/// One row of x quantized: x[i] ≈ scale · (q[i] − zero_point), except the
/// outliers, whose q[i] is the zero point and whose value is kept.
struct QuantizedRow {
  float scale = 1.0f;
  float zero_point = 0.0f;
  std::vector<std::uint32_t> outlier_index;
  std::vector<float> outlier_value;
};

/// A row's outliers: |x| > kOutlierRms × sqrt(mean of x²).
inline constexpr double kOutlierRms = cpu::kOutlierRms;

/// Quantizes x[0..k) into q[0..4·ceil(k/4)) (the padding gets the zero
/// point). The portable reference (cpu/generic/int8.cc); every level's
/// kernel quantizes to the same values.
void quantize_row(const float* x, std::size_t k, std::uint8_t* q, QuantizedRow& row);

/// y[r, c] ≈ Σ_i x[r, i] · W[c, i] for r < m (x row stride ldx, y row stride
/// ldy ≥ w.n()); the epilogue (kernels::bias_activation) runs on each
/// finished row, then the hook on each finished block of rows. `isa`: the
/// level whose kernel runs (it must run here).
void gemm_quantized(const float* x, std::size_t ldx, std::size_t m, const QuantizedWeights& w, float* y,
                    std::size_t ldy, const Epilogue& epilogue = {}, RowBlockHook hook = {}, Isa isa = cpu_isa());

}  // namespace emb::nn
