#pragma once
// The portable reference kernels (cpu/generic/), for the generic table and
// for the pieces other levels share with it (the int8 quantizer's scalar
// steps, the row blocking). Compiled for the baseline of the architecture.
#include "cpu/kernel_table.h"

namespace emb::cpu::generic {

void gemm_packed(const float* x, std::size_t ldx, std::size_t m, const PackedMatrix& w, float* y, std::size_t ldy,
                 const Epilogue& epilogue, RowBlockHook hook);
void bias_activation(float* y, std::size_t rows, std::size_t cols, const float* bias, Activation act);
void residual_layer_norm(float* x, const float* y, const float* bias, std::size_t rows, std::size_t cols,
                         const float* gamma, const float* beta, float eps, float* stats);
void softmax_rows(float* x, std::size_t rows, std::size_t cols, std::size_t ld);
void sum_rows(const float* x, std::size_t rows, std::size_t cols, std::size_t ld, bool weighted, float* out);
void max_rows(const float* x, std::size_t rows, std::size_t cols, std::size_t ld, float* out);

std::size_t int8_q_bytes(std::size_t rows, std::size_t k) noexcept;
void int8_block(const float* x, std::size_t ldx, std::size_t rows, const Int8Matrix& w, float* y, std::size_t ldy,
                const Epilogue& epilogue, const Int8Scratch& s);

void csr_times_block(const CsrMatrix& a, const float* b, float* c);
void csr_gram_block(const CsrMatrix& a, const float* q, float* w);
void csr_gram_block_double(const CsrMatrix& a, const float* q, double* w);

void adam(std::size_t n, float* p, float* g, float* m, float* v, const AdamCoefficients& c);
void round_to_half(float* v, std::size_t n);

/// The rows of a product cut into blocks of at most `limit` rows, all of
/// nearly the same size (a multiple of `unit`): a block of W is fetched once
/// per row block, and a short last block (800 rows: 4 × 192 + 32) paid that
/// for few rows.
std::size_t balanced_row_block(std::size_t m, std::size_t limit, std::size_t unit) noexcept;

/// For the vector levels' packed GEMMs, which walk W in blocks of up to
/// `group_step` 48-column groups × `depth_block` values of k, within each
/// block of rows, and bring the next block of W into L2 while one runs: the
/// block after groups [g0, g1) at depths [k0, k0 + kc) of a product of
/// `groups` groups and depth k. It is the next depth, else the next groups,
/// else (unless this is the last row block) the first groups again; g0 =
/// groups when there is none.
struct NextWeightBlock {
  std::size_t g0, k0, kc;
  std::size_t lines_per_group;   // 64-byte lines of W per 48-column group of it
};
NextWeightBlock next_weight_block(std::size_t g0, std::size_t g1, std::size_t groups, std::size_t k0,
                                  std::size_t kc, std::size_t k, std::size_t depth_block,
                                  bool last_row_block) noexcept;

/// Tile `tile` of a block's `row_tiles` tiles prefetches lines [from, from +
/// count) of each group of the next block, out of `lines` (tile 0, which
/// meets W outside L2, none; the others an equal share).
struct L2Share {
  std::size_t from = 0, count = 0;
};
L2Share l2_share(std::size_t tile, std::size_t row_tiles, std::size_t lines) noexcept;

/// int8 rows, the reference quantizer: x[i] ≈ scale · (q[i] − zero_point)
/// for i < k, except the outliers (|x| > kOutlierRms × RMS), whose q[i] is
/// the zero point and whose index and value are listed; q is padded with
/// the zero point to a multiple of 4 bytes.
void quantize_row(const float* x, std::size_t k, std::uint8_t* q, float& scale, float& zero_point,
                  std::uint32_t* outlier_index, float* outlier_value, std::uint32_t& outlier_count);

/// The outlier threshold from 16 lanes of the row's squares (see quantize_row).
float outlier_threshold(const float* lanes16, std::size_t k) noexcept;

/// Scale and zero point from the range of the kept values (0 always inside,
/// so a zero, and an outlier's slot, is exactly the zero point); returns 1/scale.
float set_range(float lo, float hi, float& scale, float& zero_point) noexcept;

/// y[c] = fma(−zero_point, zero_sum[c], y[c]) · scale, then each outlier in
/// input order y[c] = fma(value, W[c, i], y[c]): the float steps after the
/// integer sums (y holds Σ_g scale(c, g) · sum_g).
void finish_int8_row(const Int8Matrix& w, float scale, float zero_point, std::uint32_t outliers,
                     const std::uint32_t* outlier_index, const float* outlier_value, float* y);

void fill_table(KernelTable& t);

}  // namespace emb::cpu::generic
