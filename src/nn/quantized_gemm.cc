#include "nn/quantized_gemm.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "cpu/generic/generic.h"

namespace emb::nn {
namespace {

constexpr std::size_t kPanel = QuantizedWeights::kPanel;

// Per-thread scratch of one product: a block's quantized rows in the level's
// layout, their scales, zero points and outliers.
struct Scratch {
  std::vector<std::uint8_t> q;
  std::vector<float> scale, zero_point, outlier_value;
  std::vector<std::uint32_t> outlier_count, outlier_index;
};

cpu::Int8Scratch scratch(std::size_t rows, std::size_t q_bytes, std::size_t k) {
  thread_local Scratch s;
  if (s.q.size() < q_bytes) s.q.resize(q_bytes);
  if (s.scale.size() < rows) {
    s.scale.resize(rows);
    s.zero_point.resize(rows);
    s.outlier_count.resize(rows);
  }
  if (s.outlier_index.size() < rows * k) {
    s.outlier_index.resize(rows * k);
    s.outlier_value.resize(rows * k);
  }
  return {s.q.data(), s.scale.data(), s.zero_point.data(), s.outlier_count.data(), s.outlier_index.data(),
          s.outlier_value.data()};
}

}  // namespace

QuantizedWeights::QuantizedWeights(const float* w, std::size_t n, std::size_t k, Isa isa) : n_(n), k_(k) {
  const std::size_t pn = padded_n(), quads = this->quads();
  // 64 bytes per panel and quad; the vector is over-allocated so that the
  // panels can start on a cache line (aligned loads in the kernel).
  packed_.assign(panels() * quads * 64 + 64, 0);
  scales_.assign(groups() * pn, 0.0f);
  zero_sums_.assign(pn, 0.0f);
  columns_.assign(n * k, 0.0f);
  std::int8_t* base = packed_base();
  std::vector<std::int8_t> values(k);
  for (std::size_t c = 0; c < n; ++c) {
    const float* row = w + c * k;
    double zero_sum = 0.0;
    for (std::size_t g = 0; g < groups(); ++g) {
      const std::size_t begin = g * kGroup, end = std::min(k, begin + kGroup);
      float amax = 0.0f;
      for (std::size_t i = begin; i < end; ++i) amax = std::max(amax, std::fabs(row[i]));
      const float scale = amax / 127.0f;
      scales_[g * pn + c] = scale;
      std::int32_t sum = 0;
      for (std::size_t i = begin; i < end; ++i) {
        const float v = scale > 0.0f ? std::clamp(std::nearbyint(row[i] / scale), -127.0f, 127.0f) : 0.0f;
        values[i] = static_cast<std::int8_t>(v);
        columns_[i * n + c] = row[i];
        sum += static_cast<std::int32_t>(v);
      }
      zero_sum += static_cast<double>(scale) * sum;
    }
    zero_sums_[c] = static_cast<float>(zero_sum);
    for (std::size_t i = 0; i < k; ++i) base[((c / kPanel * quads + i / 4) * kPanel + c % kPanel) * 4 + i % 4] = values[i];
  }
  if (cpu::kernels_for(isa).int8_wide_weights) wide_.assign(base, base + panels() * quads * 64);
}

std::int8_t* QuantizedWeights::packed_base() noexcept {
  const auto address = reinterpret_cast<std::uintptr_t>(packed_.data());
  return packed_.data() + ((64 - address % 64) % 64);
}

const std::int8_t* QuantizedWeights::packed() const noexcept {
  return const_cast<QuantizedWeights*>(this)->packed_base();
}

void quantize_row(const float* x, std::size_t k, std::uint8_t* q, QuantizedRow& row) {
  row.outlier_index.resize(k);
  row.outlier_value.resize(k);
  std::uint32_t count = 0;
  cpu::generic::quantize_row(x, k, q, row.scale, row.zero_point, row.outlier_index.data(), row.outlier_value.data(),
                             count);
  row.outlier_index.resize(count);
  row.outlier_value.resize(count);
}

void gemm_quantized(const float* x, std::size_t ldx, std::size_t m, const QuantizedWeights& w, float* y,
                    std::size_t ldy, const Epilogue& epilogue, RowBlockHook hook, Isa isa) {
  if (m == 0 || w.n() == 0) return;
  const cpu::KernelTable& kernels = cpu::kernels_for(isa);
  if (w.k() == 0) {
    for (std::size_t r = 0; r < m; ++r) {
      std::memset(y + r * ldy, 0, w.n() * sizeof(float));
      kernels.bias_activation(y + r * ldy, 1, w.n(), epilogue.bias, epilogue.activation);
    }
    if (hook.fn) hook.fn(hook.context, 0, m);
    return;
  }
  const cpu::Int8Matrix view = w.view();
  for (std::size_t m0 = 0; m0 < m; m0 += kernels.int8_rows) {
    const std::size_t mb = std::min(kernels.int8_rows, m - m0);
    const cpu::Int8Scratch s = scratch(mb, kernels.int8_q_bytes(mb, w.k()), w.k());
    kernels.int8_block(x + m0 * ldx, ldx, mb, view, y + m0 * ldy, ldy, epilogue, s);
    if (hook.fn) hook.fn(hook.context, m0, m0 + mb);
  }
}

}  // namespace emb::nn
