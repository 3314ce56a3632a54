// Every kernel of every level this CPU runs (an AVX-512 machine runs the
// generic, avx2 and avx512 tables, an AVX2 one generic and avx2, an ARM one
// generic and neon), against the generic reference or the formula, at sizes
// off the vectors, tiles and blocks so that every tail is taken. The packed
// and int8 products have their own suites (tests/unit/nn), over the same
// levels.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/aligned_vector.h"
#include "core/isa.h"
#include "cpu/kernel_table.h"

namespace emb::cpu {
namespace {

// 64-byte aligned: the AVX-512 fused kernels use aligned loads, as the
// trainer's buffers allow.
AlignedVector<float> random_values(std::size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  AlignedVector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

class LevelKernels : public ::testing::TestWithParam<Isa> {
 protected:
  const KernelTable& k() const { return kernels_for(GetParam()); }
  const KernelTable& generic() const { return kernels_for(Isa::Generic); }
};

TEST_P(LevelKernels, TableIsCompleteAndNamesItsLevel) {
  EXPECT_EQ(k().isa, GetParam());
  EXPECT_TRUE(k().gemm_packed && k().bias_activation && k().residual_layer_norm && k().softmax_rows &&
              k().attention_supports && k().attention_scratch_floats && k().sum_rows && k().max_rows &&
              k().int8_q_bytes && k().int8_block && k().adam && k().round_to_half && k().csr_times_block &&
              k().csr_gram_block && k().csr_gram_block_double);
  // The fused trainer's kernels come as a set: all or none.
  const bool any = k().ff_hidden || k().ff_partial_logits || k().ff_hidden_gradients || k().ff_first_layer_adam;
  const bool all = k().ff_hidden && k().ff_partial_logits && k().ff_hidden_gradients && k().ff_first_layer_adam;
  EXPECT_EQ(any, all);
  EXPECT_EQ(all, GetParam() != Isa::Generic) << "every vector level has the fused FeedForwardTuner step";
}

// GELU alone, densely, at the multiples of 0.75 and their float neighbours,
// and far out, where GELU is x or 0 and a cap on |x| (every level caps
// its erf's argument) must not leave x times a small tail.
TEST_P(LevelKernels, GeluMatchesErfOnADenseGridAndFarOut) {
  std::vector<float> x;
  for (int i = 0; i <= 160000; ++i) x.push_back(-8.0f + 16.0f * static_cast<float>(i) / 160000.0f);
  for (int edge = -9; edge <= 9; ++edge) {
    const float at = 0.75f * static_cast<float>(edge);
    x.insert(x.end(), {std::nextafter(at, -INFINITY), at, std::nextafter(at, INFINITY)});
  }
  x.insert(x.end(), {5.9999995f, 6.0f, 6.0000005f, -5.9999995f, -6.0000005f, 30.0f, -30.0f, 1e4f, -1e4f, 0.0f, -0.0f});
  auto y = x;
  k().bias_activation(y.data(), 1, y.size(), nullptr, Activation::GeluErf);
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double v = x[i], want = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    ASSERT_NEAR(y[i], want, 1e-6 + 1e-6 * std::abs(want)) << isa_name(GetParam()) << " at x = " << x[i];
  }
}

// A NaN in gives a NaN out at every level (a max or min against a constant
// must not swallow it). Infinities are left out: the levels' formulas
// differ there (the generic level's 0.5·x·(1 + erf) gives NaN at −∞, the
// AVX-512 level's 7.1.26 form NaN at +∞), and a finite model does not
// produce them.
TEST_P(LevelKernels, GeluKeepsNaN) {
  std::vector<float> y(17, NAN);   // two whole vectors and a tail
  k().bias_activation(y.data(), 1, y.size(), nullptr, Activation::GeluErf);
  for (std::size_t i = 0; i < y.size(); ++i)
    EXPECT_TRUE(std::isnan(y[i])) << isa_name(GetParam()) << " at " << i << ": " << y[i];
}

TEST_P(LevelKernels, GeluAndOtherActivationsMatchTheirFormulas) {
  for (std::size_t cols : {1u, 7u, 8u, 15u, 16u, 17u, 37u, 384u}) {
    std::vector<float> x(2 * cols), bias(cols);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = -6.0f + 12.0f * static_cast<float>(i) / static_cast<float>(x.size());
    for (std::size_t i = 0; i < cols; ++i) bias[i] = 0.01f * static_cast<float>(i % 5);
    for (Activation act : {Activation::GeluErf, Activation::GeluTanh, Activation::Relu, Activation::Tanh,
                           Activation::Silu, Activation::Sigmoid, Activation::QuickGelu, Activation::Identity}) {
      auto y = x;
      k().bias_activation(y.data(), 2, cols, bias.data(), act);
      for (std::size_t i = 0; i < y.size(); ++i) {
        const double v = static_cast<double>(x[i]) + bias[i % cols];
        double want = v;
        switch (act) {
          case Activation::GeluErf: want = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); break;
          case Activation::GeluTanh:
            want = 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
            break;
          case Activation::Relu: want = v > 0 ? v : 0; break;
          case Activation::Tanh: want = std::tanh(v); break;
          case Activation::Silu: want = v / (1.0 + std::exp(-v)); break;
          case Activation::Sigmoid: want = 1.0 / (1.0 + std::exp(-v)); break;
          case Activation::QuickGelu: want = v / (1.0 + std::exp(-1.702 * v)); break;
          case Activation::Identity: break;
        }
        ASSERT_NEAR(y[i], want, 1e-6 + 1e-6 * std::abs(want))
            << isa_name(GetParam()) << " activation " << int(act) << " cols " << cols << " at " << i;
      }
    }
  }
}

TEST_P(LevelKernels, LayerNormMatchesTheGenericKernel) {
  // Offsets: rows whose mean dwarfs their spread, where a variance from
  // sums of squares would cancel (the generic kernel subtracts the mean first).
  for (const float offset : {0.0f, 1e3f, 1e4f, 1e5f, 1e6f}) {
    for (std::size_t cols : {1u, 5u, 8u, 17u, 33u, 384u, 1023u}) {
      auto x = random_values(3 * cols, static_cast<unsigned>(cols), 3.0f);
      for (float& v : x) v += offset;
      const auto y = random_values(3 * cols, 2), bias = random_values(cols, 3);
      const auto gamma = random_values(cols, 4), beta = random_values(cols, 5);
      for (const bool residual : {false, true})
        for (const float* b : {static_cast<const float*>(nullptr), bias.data()}) {
          auto want = x, got = x;
          std::vector<float> want_stats(6), got_stats(6);
          const float* yy = residual ? y.data() : nullptr;
          generic().residual_layer_norm(want.data(), yy, b, 3, cols, gamma.data(), beta.data(), 1e-12f,
                                        want_stats.data());
          k().residual_layer_norm(got.data(), yy, b, 3, cols, gamma.data(), beta.data(), 1e-12f, got_stats.data());
          for (std::size_t i = 0; i < x.size(); ++i)
            ASSERT_NEAR(got[i], want[i], 2e-6f * (1.0f + std::abs(want[i])))
                << isa_name(GetParam()) << " cols " << cols << (residual ? " residual" : "") << (b ? " bias" : "")
                << " offset " << offset;
          // The mean and 1/σ each row used, and that they are the row's.
          for (std::size_t r = 0; r < 3; ++r) {
            double mean = 0.0, var = 0.0;
            std::vector<double> row(cols);
            for (std::size_t c = 0; c < cols; ++c)   // the row as the kernels sum it, in float
              row[c] = x[r * cols + c] + (yy ? yy[r * cols + c] + (b ? b[c] : 0.0f) : 0.0f);
            for (const double v : row) mean += v / double(cols);
            for (const double v : row) var += (v - mean) * (v - mean) / double(cols);
            ASSERT_NEAR(got_stats[2 * r], want_stats[2 * r], 1e-6 * (1.0 + std::abs(mean)));
            ASSERT_NEAR(got_stats[2 * r + 1], want_stats[2 * r + 1], 1e-6 * want_stats[2 * r + 1]);
            ASSERT_NEAR(want_stats[2 * r], mean, 1e-6 * (1.0 + std::abs(mean)));
            ASSERT_NEAR(want_stats[2 * r + 1], 1.0 / std::sqrt(var + 1e-12), 1e-4 / std::sqrt(var + 1e-12));
          }
        }
    }
  }
}

TEST_P(LevelKernels, SoftmaxRowsMatchTheFormulaAndRespectTheStride) {
  for (std::size_t cols : {1u, 3u, 8u, 9u, 16u, 37u, 200u}) {
    const std::size_t ld = cols + 3;
    auto x = random_values(4 * ld, static_cast<unsigned>(cols), 4.0f);
    const auto before = x;
    k().softmax_rows(x.data(), 4, cols, ld);
    for (std::size_t r = 0; r < 4; ++r) {
      double mx = -1e300, total = 0.0;
      for (std::size_t c = 0; c < cols; ++c) mx = std::max(mx, double(before[r * ld + c]));
      for (std::size_t c = 0; c < cols; ++c) total += std::exp(double(before[r * ld + c]) - mx);
      for (std::size_t c = 0; c < cols; ++c)
        ASSERT_NEAR(x[r * ld + c], std::exp(double(before[r * ld + c]) - mx) / total, 4e-7)
            << isa_name(GetParam()) << " cols " << cols;
      for (std::size_t c = cols; c < ld; ++c) ASSERT_EQ(x[r * ld + c], before[r * ld + c]) << "wrote past the row";
    }
  }
}

TEST_P(LevelKernels, AttentionHeadMatchesTheDefinition) {
  // src/cpu/generic/table.cc leaves attention_head null: that level's attention
  // is nn/ops.cc's BLAS path, checked against the goldens by Level.generic.EncoderGoldens.
  // Only there: a SIMD level without one would be a table bug, not a skip.
  if (GetParam() == Isa::Generic) {
    ASSERT_EQ(k().attention_head, nullptr);
    GTEST_SKIP() << isa_name(GetParam()) << " has no attention kernel (src/cpu/generic/table.cc; its BLAS path "
                 << "is tested by Level.generic.EncoderGoldens)";
  }
  ASSERT_NE(k().attention_head, nullptr) << isa_name(GetParam());
  for (std::size_t dh : {8u, 16u, 24u, 32u, 48u, 64u}) {
    if (!k().attention_supports(dh)) continue;
    // Last chunks of 1 to 4 vectors of keys (t = 33, 12, 20, 28), whole and partial.
    for (std::size_t t : {1u, 2u, 3u, 5u, 12u, 13u, 20u, 28u, 32u, 33u, 37u, 70u}) {
      const std::size_t ld = 3 * dh + 5, ldc = dh + 3;
      const auto qkv = random_values(t * ld, static_cast<unsigned>(t * 100 + dh));
      const auto bias = random_values(t * t, 9);
      for (const float* b : {static_cast<const float*>(nullptr), bias.data()}) {
        // NaN scratch: whatever the kernel reads of it must be what it wrote.
        std::vector<float> scratch(k().attention_scratch_floats(t, dh), std::numeric_limits<float>::quiet_NaN());
        std::vector<float> context(t * ldc, -7.0f);
        const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
        k().attention_head(qkv.data(), qkv.data() + dh, qkv.data() + 2 * dh, ld, t, dh, scale, b, scratch.data(),
                           context.data(), ldc);
        for (std::size_t i = 0; i < t; ++i) {
          std::vector<double> p(t);
          double mx = -1e300, total = 0.0;
          for (std::size_t j = 0; j < t; ++j) {
            double dot = 0.0;
            for (std::size_t d = 0; d < dh; ++d) dot += double(qkv[i * ld + d]) * qkv[j * ld + dh + d];
            p[j] = dot * scale + (b ? b[i * t + j] : 0.0);
            mx = std::max(mx, p[j]);
          }
          for (auto& x : p) total += (x = std::exp(x - mx));
          for (std::size_t d = 0; d < dh; ++d) {
            double want = 0.0;
            for (std::size_t j = 0; j < t; ++j) want += p[j] / total * qkv[j * ld + 2 * dh + d];
            ASSERT_NEAR(context[i * ldc + d], want, 2e-5)
                << isa_name(GetParam()) << " dh " << dh << " t " << t << (b ? " bias" : "");
          }
          for (std::size_t d = dh; d < ldc; ++d) ASSERT_EQ(context[i * ldc + d], -7.0f) << "wrote past the row";
        }
      }
    }
  }
}

TEST_P(LevelKernels, PoolingSumsAndMaximaMatchTheGenericKernels) {
  for (std::size_t cols : {1u, 7u, 8u, 19u, 384u})
    for (std::size_t rows : {1u, 2u, 9u}) {
      const std::size_t ld = cols + 1;
      const auto x = random_values(rows * ld, static_cast<unsigned>(rows * cols));
      std::vector<float> want(cols), got(cols);
      generic().max_rows(x.data(), rows, cols, ld, want.data());
      k().max_rows(x.data(), rows, cols, ld, got.data());
      EXPECT_EQ(got, want) << isa_name(GetParam());
      for (const bool weighted : {false, true}) {
        generic().sum_rows(x.data(), rows, cols, ld, weighted, want.data());
        k().sum_rows(x.data(), rows, cols, ld, weighted, got.data());
        // (weighted: up to 9 · |x| per term, so an absolute bound)
        for (std::size_t c = 0; c < cols; ++c) ASSERT_NEAR(got[c], want[c], 1e-5f) << isa_name(GetParam()) << " " << c;
      }
    }
}

TEST_P(LevelKernels, SparseBlockProductsMatchTheGenericKernels) {
  // A 37 × 50 CSR matrix with empty rows, and packed 32-column blocks.
  std::mt19937 rng(3);
  std::vector<int> indptr{0}, indices;
  std::vector<float> values;
  const std::size_t rows = 37, cols = 50;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c)
      if (rng() % 7 == 0 && r % 5 != 3) {
        indices.push_back(static_cast<int>(c));
        values.push_back(std::normal_distribution<float>()(rng));
      }
    indptr.push_back(static_cast<int>(indices.size()));
  }
  const CsrMatrix a{rows, indptr.data(), indices.data(), values.data()};
  const auto b = random_values(cols * kSparseBlock, 4);
  std::vector<float> want(rows * kSparseBlock), got(rows * kSparseBlock);
  generic().csr_times_block(a, b.data(), want.data());
  k().csr_times_block(a, b.data(), got.data());
  for (std::size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-5f) << isa_name(GetParam()) << " " << i;
  std::vector<float> wf(cols * kSparseBlock, 0.0f), gf(cols * kSparseBlock, 0.0f);
  std::vector<double> wd(cols * kSparseBlock, 0.0), gd(cols * kSparseBlock, 0.0);
  generic().csr_gram_block(a, b.data(), wf.data());
  k().csr_gram_block(a, b.data(), gf.data());
  generic().csr_gram_block_double(a, b.data(), wd.data());
  k().csr_gram_block_double(a, b.data(), gd.data());
  for (std::size_t i = 0; i < wf.size(); ++i) {
    ASSERT_NEAR(gf[i], wf[i], 1e-4f * (1.0f + std::abs(wf[i]))) << isa_name(GetParam()) << " " << i;
    ASSERT_NEAR(gd[i], wd[i], 1e-9 * (1.0 + std::abs(wd[i]))) << isa_name(GetParam()) << " " << i;
  }
}

TEST_P(LevelKernels, AdamMatchesTheGenericUpdate) {
  for (std::size_t n : {1u, 7u, 16u, 37u, 1000u}) {
    auto p = random_values(n, 1), g = random_values(n, 2), m = random_values(n, 3, 0.1f), v = random_values(n, 4);
    for (auto& x : v) x = x * x;
    auto p2 = p, g2 = g, m2 = m, v2 = v;
    const AdamCoefficients c{0.1f, 0.999f, 0.001f, 1.3f, 1e-8f, -0.01f};
    generic().adam(n, p.data(), g.data(), m.data(), v.data(), c);
    k().adam(n, p2.data(), g2.data(), m2.data(), v2.data(), c);
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_NEAR(p2[i], p[i], 1e-6f) << isa_name(GetParam()) << " n " << n;
      ASSERT_NEAR(m2[i], m[i], 1e-6f);
      ASSERT_NEAR(v2[i], v[i], 1e-6f * (1.0f + v[i]));
      ASSERT_EQ(g2[i], 0.0f) << "the gradient is left zeroed";
    }
  }
}

TEST_P(LevelKernels, RoundToHalfIsExactlyTheGenericRounding) {
  auto v = random_values(1000, 7, 100.0f);
  v.push_back(65504.0f);
  v.push_back(1e-7f);   // subnormal in half precision
  v.push_back(70000.0f);   // past half's range: infinity
  for (std::size_t n : {v.size(), std::size_t{5}}) {
    auto want = v, got = v;
    generic().round_to_half(want.data(), n);
    k().round_to_half(got.data(), n);
    EXPECT_EQ(got, want) << isa_name(GetParam());
  }
}

// The fused FeedForwardTuner kernels against plain loops in double, on a
// hidden size off the 16-lane vectors (the padding lanes must stay 0).
TEST_P(LevelKernels, FusedFeedForwardKernelsMatchPlainLoops) {
  // src/cpu/generic/table.cc sets no ff_* entry: that level trains through the
  // portable step, tested by FeedForwardTuner.PortableStep (EMB_ISA=generic).
  if (GetParam() == Isa::Generic) {
    ASSERT_EQ(k().ff_hidden, nullptr);
    GTEST_SKIP() << isa_name(GetParam()) << " has no fused kernels (src/cpu/generic/table.cc; the portable step "
                 << "is tested by FeedForwardTuner.PortableStep)";
  }
  ASSERT_NE(k().ff_hidden, nullptr) << isa_name(GetParam());
  const std::size_t n_in = 13, hidden = 21, hp = 32, classes = 3, batch = 9, lanes = kFusedLanes;
  const auto xs = random_values(batch * n_in, 1);
  std::vector<const float*> x(batch);
  for (std::size_t r = 0; r < batch; ++r) x[r] = xs.data() + r * n_in;
  auto w1t = random_values(n_in * hp, 2, 0.3f), b1 = random_values(hp, 3), w2 = random_values(classes * hp, 4);
  for (std::size_t j = hidden; j < hp; ++j) {
    b1[j] = 0.0f;
    for (std::size_t c = 0; c < classes; ++c) w2[c * hp + j] = 0.0f;
  }
  // One part with both vectors (v0 = 0, v1 = 2): W1ᵀ rows are hp wide.
  AlignedVector<float> h(batch * hp, -1.0f);
  k().ff_hidden(x.data(), batch, n_in, hidden, hp, 0, hp / lanes, w1t.data(), b1.data(), h.data());
  for (std::size_t r = 0; r < batch; ++r)
    for (std::size_t j = 0; j < hp; ++j) {
      double z = b1[j];
      for (std::size_t i = 0; i < n_in; ++i) z += double(x[r][i]) * w1t[i * hp + j];
      const double want = j < hidden ? 1.0 / (1.0 + std::exp(-z)) : 0.0;
      ASSERT_NEAR(h[r * hp + j], want, 1e-6) << isa_name(GetParam()) << " h " << r << "," << j;
    }
  std::vector<float> logits(batch * classes);
  k().ff_partial_logits(h.data(), batch, classes, hp, 0, hp / lanes, w2.data(), logits.data());
  for (std::size_t r = 0; r < batch; ++r)
    for (std::size_t c = 0; c < classes; ++c) {
      double want = 0.0;
      for (std::size_t j = 0; j < hp; ++j) want += double(h[r * hp + j]) * w2[c * hp + j];
      ASSERT_NEAR(logits[r * classes + c], want, 1e-5) << isa_name(GetParam());
    }
  const auto d_logits = random_values(batch * classes, 5, 0.1f);
  AlignedVector<float> dz(batch * hp), g_b1(hp), g_w2(classes * hp);
  k().ff_hidden_gradients(h.data(), d_logits.data(), batch, classes, hp, 0, hp / lanes, w2.data(), dz.data(),
                          g_b1.data(), g_w2.data());
  for (std::size_t j = 0; j < hp; ++j) {
    double b1_grad = 0.0;
    for (std::size_t r = 0; r < batch; ++r) {
      double d = 0.0;
      for (std::size_t c = 0; c < classes; ++c) d += double(d_logits[r * classes + c]) * w2[c * hp + j];
      const double want = d * h[r * hp + j] * (1.0 - h[r * hp + j]);
      ASSERT_NEAR(dz[r * hp + j], want, 1e-6) << isa_name(GetParam());
      b1_grad += want;
    }
    ASSERT_NEAR(g_b1[j], b1_grad, 1e-5);
    for (std::size_t c = 0; c < classes; ++c) {
      double want = 0.0;
      for (std::size_t r = 0; r < batch; ++r) want += double(d_logits[r * classes + c]) * h[r * hp + j];
      ASSERT_NEAR(g_w2[c * hp + j], want, 1e-5);
    }
  }
  // W1's gradient Σ_r x[r][i] · dz[r][j], applied by Adam: compared with the
  // generic Adam on that gradient.
  AlignedVector<float> grad(n_in * hp);
  for (std::size_t i = 0; i < n_in; ++i)
    for (std::size_t j = 0; j < hp; ++j) {
      double sum = 0.0;
      for (std::size_t r = 0; r < batch; ++r) sum += double(x[r][i]) * dz[r * hp + j];
      grad[i * hp + j] = static_cast<float>(sum);
    }
  const AdamCoefficients c{0.1f, 0.999f, 0.001f, 1.3f, 1e-8f, -0.01f};
  auto p_want = w1t, m_want = random_values(n_in * hp, 6, 0.01f), v_want = AlignedVector<float>(n_in * hp, 1e-4f);
  auto p_got = p_want, m_got = m_want, v_got = v_want;
  generic().adam(grad.size(), p_want.data(), grad.data(), m_want.data(), v_want.data(), c);
  k().ff_first_layer_adam(x.data(), batch, n_in, hp, 0, hp / lanes, dz.data(), p_got.data(), m_got.data(),
                          v_got.data(), c);
  for (std::size_t i = 0; i < p_want.size(); ++i) {
    ASSERT_NEAR(m_got[i], m_want[i], 1e-6f) << isa_name(GetParam()) << " at " << i;
    ASSERT_NEAR(p_got[i], p_want[i], 1e-6f) << isa_name(GetParam()) << " at " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, LevelKernels, ::testing::ValuesIn(runnable_isas()),
                         [](const ::testing::TestParamInfo<Isa>& level) { return std::string(isa_name(level.param)); });

}  // namespace
}  // namespace emb::cpu
