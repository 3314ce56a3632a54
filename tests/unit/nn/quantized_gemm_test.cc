// The int8 product (precision="int8") against a reference written here from
// its definition: exact integer dot products per weight group, then the
// float steps in their documented order. Both code paths must give bitwise
// that result, a row's result must not depend on the other rows, and the
// whole must stay close to the float32 product.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <tuple>
#include <vector>

#include "nn/kernels.h"
#include "nn/quantized_gemm.h"

namespace emb::nn {
namespace {

// Normal values with a few planted outliers (BERT's activations have some).
std::vector<float> random_values(std::size_t n, unsigned seed, bool outliers = false) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d;
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  if (outliers)
    for (std::size_t i = 7; i < n; i += 97) v[i] *= 25.0f;
  return v;
}

// Every level this CPU runs (generic, avx2, avx512, avx512_vnni, …).
std::vector<Isa> paths() { return runnable_isas(); }

// y for one row of x, from the quantized row and the weights' integers.
std::vector<float> reference_row(const float* x, std::size_t k, const QuantizedWeights& w) {
  std::vector<std::uint8_t> q((k + 3) / 4 * 4);
  QuantizedRow row;
  quantize_row(x, k, q.data(), row);
  std::vector<float> y(w.n());
  for (std::size_t c = 0; c < w.n(); ++c) {
    float f = 0.0f;
    for (std::size_t g = 0; g < w.groups(); ++g) {
      std::int64_t acc = 0;   // wide: the product must not need it
      for (std::size_t i = g * QuantizedWeights::kGroup; i < std::min(k, (g + 1) * QuantizedWeights::kGroup); ++i)
        acc += static_cast<std::int64_t>(q[i]) * w.value(c, i);
      f = std::fma(static_cast<float>(acc), w.scale(c, g), f);
    }
    float v = std::fma(-row.zero_point, w.zero_point_sums()[c], f) * row.scale;
    for (std::size_t o = 0; o < row.outlier_index.size(); ++o) {
      const std::size_t i = row.outlier_index[o];
      v = std::fma(row.outlier_value[o], w.columns()[i * w.n() + c], v);
    }
    y[c] = v;
  }
  return y;
}

TEST(QuantizedGemm, RowQuantizationKeepsEachValueWithinHalfAStep) {
  const std::size_t k = 389;
  const auto x = random_values(k, 11, true);
  std::vector<std::uint8_t> q(392);
  QuantizedRow row;
  quantize_row(x.data(), k, q.data(), row);
  EXPECT_FALSE(row.outlier_index.empty());
  std::size_t o = 0;
  for (std::size_t i = 0; i < k; ++i) {
    if (o < row.outlier_index.size() && row.outlier_index[o] == i) {
      EXPECT_EQ(row.outlier_value[o], x[i]);
      EXPECT_EQ(q[i], row.zero_point);
      EXPECT_GT(std::fabs(x[i]), 4.0f);
      ++o;
      continue;
    }
    EXPECT_NEAR(row.scale * (q[i] - row.zero_point), x[i], 0.5001f * row.scale) << i;
  }
  for (std::size_t i = k; i < q.size(); ++i) EXPECT_EQ(q[i], row.zero_point);
  // An all-zero row: every byte is the zero point and nothing is an outlier.
  std::vector<float> zeros(10, 0.0f);
  quantize_row(zeros.data(), zeros.size(), q.data(), row);
  EXPECT_TRUE(row.outlier_index.empty());
  for (std::size_t i = 0; i < 12; ++i) EXPECT_EQ(q[i], row.zero_point);
}

TEST(QuantizedGemm, WeightsKeepEachValueWithinHalfAStepOfItsGroup) {
  const std::size_t n = 19, k = 300;
  const auto w = random_values(n * k, 12);
  const QuantizedWeights qw(w.data(), n, k);
  ASSERT_EQ(qw.groups(), 3u);
  for (std::size_t c = 0; c < n; ++c)
    for (std::size_t i = 0; i < k; ++i) {
      const float s = qw.scale(c, i / QuantizedWeights::kGroup);
      ASSERT_NEAR(qw.value(c, i) * s, w[c * k + i], 0.5001f * s);
    }
}

TEST(QuantizedGemm, EqualsTheIntegerReferenceBitwiseOnEveryShapeAndPath) {
  // Depths off the 4-byte quads and the 128-input groups, columns off the
  // 16-wide panels and their pairs, rows off the 12-row tiles and 96-row blocks.
  for (auto [m, n, k] : {std::tuple{1, 1, 1}, {5, 17, 3}, {13, 33, 70}, {100, 48, 385}, {97, 384, 400},
                         {30, 50, 1536}}) {
    const auto x = random_values(m * k, 1, true), w = random_values(n * k, 2);
    const QuantizedWeights generic_weights(w.data(), n, k, Isa::Generic);
    std::vector<std::vector<float>> want(m);
    for (int r = 0; r < m; ++r) want[r] = reference_row(x.data() + r * k, k, generic_weights);
    // Each level on weights prepared for it (AVX2 with its int16 copy) and on
    // the generic ones (AVX2 then sign-extends the bytes as it loads them).
    for (const auto& [isa, prepared] : [] {
           std::vector<std::pair<Isa, bool>> runs;
           for (Isa level : paths()) runs.insert(runs.end(), {{level, true}, {level, false}});
           return runs;
         }()) {
      const QuantizedWeights qw(w.data(), n, k, prepared ? isa : Isa::Generic);
      const std::size_t ldy = n + 3;
      std::vector<float> y(m * ldy + 1, -7.0f);
      std::size_t hooked = 0;
      auto count = [](void* c, std::size_t b, std::size_t e) { *static_cast<std::size_t*>(c) += e - b; };
      gemm_quantized(x.data(), k, m, qw, y.data(), ldy, {}, {count, &hooked}, isa);
      EXPECT_EQ(hooked, static_cast<std::size_t>(m));
      for (int r = 0; r < m; ++r) {
        for (int c = 0; c < n; ++c)
          ASSERT_EQ(y[r * ldy + c], want[r][c]) << isa_name(isa) << (prepared ? " prepared" : "") << " m" << m
                                                << " n" << n << " k" << k << " row " << r << " col " << c;
        for (std::size_t c = n; c < ldy && r * ldy + c < y.size(); ++c)
          ASSERT_EQ(y[r * ldy + c], -7.0f) << "wrote into the row stride's padding";
      }
      EXPECT_EQ(y[m * ldy], -7.0f);
    }
  }
}

TEST(QuantizedGemm, StaysCloseToTheFloatProduct) {
  const std::size_t m = 40, n = 64, k = 384;
  const auto x = random_values(m * k, 5, true), w = random_values(n * k, 6);
  const QuantizedWeights qw(w.data(), n, k);
  std::vector<float> y(m * n);
  gemm_quantized(x.data(), k, m, qw, y.data(), n);
  for (std::size_t r = 0; r < m; ++r) {
    double dot = 0, yy = 0, ww = 0;
    for (std::size_t c = 0; c < n; ++c) {
      double want = 0;
      for (std::size_t i = 0; i < k; ++i) want += static_cast<double>(x[r * k + i]) * w[c * k + i];
      dot += want * y[r * n + c];
      yy += static_cast<double>(y[r * n + c]) * y[r * n + c];
      ww += want * want;
    }
    EXPECT_GT(dot / std::sqrt(yy * ww), 0.9995) << "row " << r;
  }
}

TEST(QuantizedGemm, ARowsResultDoesNotDependOnTheOtherRows) {
  const std::size_t m = 230, n = 40, k = 500;
  const auto x = random_values(m * k, 3, true), w = random_values(n * k, 4);
  for (Isa isa : paths()) {
    const QuantizedWeights qw(w.data(), n, k, isa);
    std::vector<float> all(m * n), part(7 * n);
    gemm_quantized(x.data(), k, m, qw, all.data(), n, {}, {}, isa);
    for (std::size_t first : {0u, 1u, 95u, 200u, 223u}) {
      gemm_quantized(x.data() + first * k, k, 7, qw, part.data(), n, {}, {}, isa);
      for (std::size_t i = 0; i < 7 * n; ++i) ASSERT_EQ(part[i], all[first * n + i]) << isa_name(isa) << " " << first;
    }
  }
}

TEST(QuantizedGemm, EpilogueIsBiasActivationAfterTheProduct) {
  const std::size_t m = 20, n = 37, k = 200;
  const auto x = random_values(m * k, 7, true), w = random_values(n * k, 8), bias = random_values(n, 9);
  const QuantizedWeights qw(w.data(), n, k);
  std::vector<float> plain(m * n), fused(m * n);
  gemm_quantized(x.data(), k, m, qw, plain.data(), n);
  kernels::bias_activation(plain.data(), m, n, bias.data(), Activation::GeluErf);
  gemm_quantized(x.data(), k, m, qw, fused.data(), n, Epilogue{bias.data(), Activation::GeluErf});
  EXPECT_EQ(plain, fused);
}

TEST(QuantizedGemm, ReportsWhetherVnniRuns) {
  // Not an assertion on the machine: says which path the other tests covered.
  for (Isa isa : paths()) std::printf("int8 kernels tested here: %s\n", std::string(isa_name(isa)).c_str());
  SUCCEED();
}

}  // namespace
}  // namespace emb::nn
