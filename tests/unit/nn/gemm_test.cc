// The packed product against a double-precision reference, on both code
// paths, and the property batching relies on: a row's result never depends
// on the other rows of the product.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "embetter/error.h"
#include "nn/gemm.h"
#include "nn/kernels.h"
#include "nn/ops.h"

namespace emb::nn {
namespace {

std::vector<float> random_values(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d;
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Every level this CPU runs (generic, avx2, avx512, …), not only the widest.
std::vector<Isa> paths() { return runnable_isas(); }

TEST(PackedGemm, MatchesReferenceOnEveryShapeAndPath) {
  // Column counts off the 16-wide vectors, the 48-wide groups and the blocks
  // of 4 groups; rows off the 6- and 8-row tiles and the 192-row blocks
  // (generic, AVX-512) and the 320-row ones (AVX2, NEON); depths off the
  // 384-deep blocks (generic, AVX-512) and the 768-deep ones (AVX2, NEON).
  for (auto [m, n, k] : {std::tuple{1, 1, 1}, {5, 17, 3}, {13, 33, 70}, {100, 48, 385}, {97, 384, 400},
                         {200, 230, 800}, {653, 40, 30}}) {
    const auto x = random_values(m * k, 1), w = random_values(n * k, 2);
    for (std::size_t panel : {cpu::kPackedPanelNarrow, cpu::kPackedPanelWide}) {
      const PackedWeights packed(w.data(), n, k, panel);
      for (Isa isa : paths()) {
        std::vector<float> y(m * n + 1, -7.0f);   // one guard value past the end
        gemm_packed(x.data(), k, m, packed, y.data(), n, {}, isa);
        for (int r = 0; r < m; ++r)
          for (int c = 0; c < n; ++c) {
            double want = 0.0;
            for (int i = 0; i < k; ++i) want += static_cast<double>(x[r * k + i]) * w[c * k + i];
            ASSERT_NEAR(y[r * n + c], want, 1e-5 * k)
                << isa_name(isa) << " panel " << panel << " m" << m << " n" << n << " k" << k;
          }
        EXPECT_EQ(y[m * n], -7.0f) << "wrote past the output";
      }
    }
  }
}

// Each level packs W in the panel width it reads fastest, and reads the
// other's too: the sums are the same operations in the same order either way.
TEST(PackedGemm, EveryPanelWidthGivesTheSameBits) {
  for (auto [m, n, k] : {std::tuple{7, 17, 5}, {50, 230, 800}, {13, 384, 384}}) {
    const auto x = random_values(m * k, 7), w = random_values(n * k, 8), bias = random_values(n, 9);
    const PackedWeights narrow(w.data(), n, k, cpu::kPackedPanelNarrow), wide(w.data(), n, k, cpu::kPackedPanelWide);
    for (Isa isa : paths()) {
      std::vector<float> a(m * n), b(m * n);
      const Epilogue gelu{bias.data(), Activation::GeluErf};
      gemm_packed(x.data(), k, m, narrow, a.data(), n, gelu, {}, isa);
      gemm_packed(x.data(), k, m, wide, b.data(), n, gelu, {}, isa);
      EXPECT_EQ(a, b) << isa_name(isa) << " m" << m << " n" << n << " k" << k;
    }
  }
}

TEST(PackedGemm, RefusesAnotherPanelWidth) {
  const std::vector<float> w(12, 1.0f);
  EXPECT_THROW(PackedWeights(w.data(), 3, 4, 32), Error);
}

TEST(PackedGemm, ArenaPacksWhatItsOwnBlockDoes) {
  const std::size_t n1 = 70, k1 = 33, n2 = 5, k2 = 128;
  const auto w1 = random_values(n1 * k1, 11), w2 = random_values(n2 * k2, 12);
  PackedArena arena(PackedWeights::bytes_for(n1, k1) + PackedWeights::bytes_for(n2, k2));
  const PackedWeights a1(w1.data(), n1, k1, arena), a2(w2.data(), n2, k2, arena);
  const PackedWeights own1(w1.data(), n1, k1), own2(w2.data(), n2, k2);
  for (const auto& [a, own] : {std::pair{&a1, &own1}, std::pair{&a2, &own2}}) {
    EXPECT_EQ(a->panel(), own->panel());
    EXPECT_EQ(std::memcmp(a->data(), own->data(), PackedWeights::bytes_for(a->n(), a->k())), 0);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a->data()) % 64, 0u);
  }
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a1.data()) % (std::size_t{2} << 20), 0u);
  // Full: one more float is refused, by name.
  EXPECT_THROW(PackedWeights(w2.data(), 1, 1, arena), Error);
}

TEST(PackedGemm, ArenaOutlivesItsOwnerThroughItsWeights) {
  const std::size_t n = 20, k = 9;
  const auto w = random_values(n * k, 13);
  std::optional<PackedArena> arena(std::in_place, PackedWeights::bytes_for(n, k));
  const PackedWeights packed(w.data(), n, k, *arena);
  arena.reset();
  const PackedWeights own(w.data(), n, k);
  EXPECT_EQ(std::memcmp(packed.data(), own.data(), PackedWeights::bytes_for(n, k)), 0);
}

TEST(PackedGemm, ARowsResultDoesNotDependOnTheOtherRows) {
  const std::size_t m = 250, n = 40, k = 777;
  const auto x = random_values(m * k, 3), w = random_values(n * k, 4);
  const PackedWeights packed(w.data(), n, k);
  for (Isa isa : paths()) {
    std::vector<float> all(m * n), part(7 * n);
    gemm_packed(x.data(), k, m, packed, all.data(), n, {}, isa);
    for (std::size_t first : {0u, 1u, 95u, 200u, 243u}) {
      for (std::size_t rows : {1u, 2u, 7u}) {
        gemm_packed(x.data() + first * k, k, rows, packed, part.data(), n, {}, isa);
        for (std::size_t i = 0; i < rows * n; ++i)
          ASSERT_EQ(part[i], all[first * n + i]) << isa_name(isa) << " rows " << first << "+" << rows;   // bitwise
      }
    }
  }
}

TEST(PackedGemm, EpilogueEqualsBiasActivationAfterTheProduct) {
  // Bitwise: in registers (Identity, GeluErf) or after each row block (Tanh).
  const std::size_t m = 203, n = 100, k = 400;
  const auto x = random_values(m * k, 7), w = random_values(n * k, 8), bias = random_values(n, 9);
  const PackedWeights packed(w.data(), n, k);
  for (Isa isa : paths())
    for (Activation act : {Activation::Identity, Activation::GeluErf, Activation::Tanh})
      for (const float* b : {bias.data(), static_cast<const float*>(nullptr)}) {
        std::vector<float> want(m * n), got(m * n);
        gemm_packed(x.data(), k, m, packed, want.data(), n, {}, isa);
        cpu::kernels_for(isa).bias_activation(want.data(), m, n, b, act);
        gemm_packed(x.data(), k, m, packed, got.data(), n, Epilogue{b, act}, {}, isa);
        for (std::size_t i = 0; i < m * n; ++i)
          ASSERT_EQ(got[i], want[i]) << isa_name(isa) << " activation " << int(act) << (b ? " bias" : "") << " at " << i;
      }
}

TEST(PackedGemm, HookSeesEveryRowOnceAfterItIsComplete) {
  // Several row blocks on every level (192 rows on some, 320 on others).
  const std::size_t m = 700, n = 20, k = 10;
  const auto x = random_values(m * k, 5), w = random_values(n * k, 6);
  const PackedWeights packed(w.data(), n, k);
  struct Seen {
    std::vector<int> count;
    std::vector<float>* y;
    std::vector<float> snapshot;
    std::size_t blocks = 0;
  };
  auto hook = [](void* self, std::size_t begin, std::size_t end) {
    auto& s = *static_cast<Seen*>(self);
    ++s.blocks;
    for (std::size_t r = begin; r < end; ++r) {
      ++s.count[r];
      for (std::size_t c = 0; c < 20; ++c) s.snapshot[r * 20 + c] = (*s.y)[r * 20 + c];
    }
  };
  for (Isa isa : paths()) {
    std::vector<float> y(m * n);
    Seen seen{std::vector<int>(m), &y, std::vector<float>(m * n)};
    gemm_packed(x.data(), k, m, packed, y.data(), n, {hook, &seen}, isa);
    for (std::size_t r = 0; r < m; ++r) EXPECT_EQ(seen.count[r], 1) << isa_name(isa) << " row " << r;
    EXPECT_EQ(seen.snapshot, y) << isa_name(isa);
    EXPECT_GT(seen.blocks, 1u) << isa_name(isa);
  }
}

TEST(Kernels, VectorGeluAndSoftmaxMatchTheScalarFormulas) {
  // Wide enough for the AVX-512 path and a masked tail.
  std::vector<float> x(37), bias(37);
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = -6.0f + 0.33f * static_cast<float>(i);
    bias[i] = 0.01f * static_cast<float>(i % 5);
  }
  auto g = x;
  kernels::bias_activation(g.data(), 1, g.size(), bias.data(), Activation::GeluErf);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double v = static_cast<double>(x[i]) + bias[i];
    EXPECT_NEAR(g[i], 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))), 1e-6) << i;
  }
  auto s = x;
  kernels::softmax_rows(s.data(), 1, s.size(), s.size());
  double total = 0.0;
  for (float v : x) total += std::exp(static_cast<double>(v) - x.back());
  for (std::size_t i = 0; i < x.size(); ++i)
    EXPECT_NEAR(s[i], std::exp(static_cast<double>(x[i]) - x.back()) / total, 1e-7) << i;
}

TEST(Ops, AttentionMatchesReferenceForWideHeadsWithAndWithoutBias) {
  // Head widths the vector path takes (16·n) and one it leaves to Eigen (24).
  // Token counts off the query blocks (12, 8, 6 rows) and the 16-key vectors.
  for (std::size_t dh : {16u, 32u, 48u, 64u, 24u}) {
    for (std::size_t t : {1u, 5u, 13u, 37u, 70u}) {
      const std::size_t heads = 2, hidden = heads * dh;
      Matrix qkv(t, 3 * hidden, random_values(t * 3 * hidden, static_cast<unsigned>(t + dh)));
      const auto bias = random_values(heads * t * t, 9);
      for (const float* b : {static_cast<const float*>(nullptr), bias.data()}) {
        Matrix scores, ctx;
        self_attention(qkv, heads, b, scores, ctx);
        for (std::size_t h = 0; h < heads; ++h)
          for (std::size_t i = 0; i < t; ++i) {
            std::vector<double> p(t);
            double mx = -1e300, total = 0.0;
            for (std::size_t j = 0; j < t; ++j) {
              double dot = 0.0;
              for (std::size_t d = 0; d < dh; ++d) dot += double(qkv(i, h * dh + d)) * qkv(j, hidden + h * dh + d);
              p[j] = dot / std::sqrt(double(dh)) + (b ? b[(h * t + i) * t + j] : 0.0);
              mx = std::max(mx, p[j]);
            }
            for (auto& x : p) total += (x = std::exp(x - mx));
            for (std::size_t d = 0; d < dh; ++d) {
              double want = 0.0;
              for (std::size_t j = 0; j < t; ++j) want += p[j] / total * qkv(j, 2 * hidden + h * dh + d);
              ASSERT_NEAR(ctx(i, h * dh + d), want, 2e-5) << "dh " << dh << " t " << t << " head " << h;
            }
          }
      }
    }
  }
}

}  // namespace
}  // namespace emb::nn
