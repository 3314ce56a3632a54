#pragma once
// The CPU kernels, one table per instruction-set level (core/isa.h): every
// hot loop of the project has a portable reference (cpu/generic/) and, where
// it pays, variants compiled per ISA in translation units of their own with
// per-file flags (cpu/CMakeLists.txt), as CTranslate2 and faiss do. A level's
// table starts from the level below it and replaces what it has variants for,
// so every entry is always callable.
//
// Kernel ABI (STYLE.md convention 3): raw pointers, no allocation, no
// exceptions, no knowledge of models. Row-major data: element (r, c) of a
// block with row stride ld at x[r * ld + c].
//
// Within one level, every output element is computed by the same operations
// in the same order whatever the number of rows and the row's position, so a
// token's result never depends on the other rows (sequences share products
// and stay bitwise batch-independent). Different levels may round
// differently (vector widths, fused multiply-adds, exp/erf approximations):
// each stays within 1e-4 of sentence-transformers.
#include <cstddef>
#include <cstdint>

#include "core/isa.h"

namespace emb::cpu {

/// Element-wise functions applied after a linear layer, named as in
/// transformers' ACT2FN / sentence-transformers' Dense. QuickGelu is CLIP's
/// "quick_gelu", x · σ(1.702 x).
enum class Activation { Identity, GeluErf, GeluTanh, Relu, Tanh, Silu, Sigmoid, QuickGelu };

/// Applied to each output of a product once its sum is complete:
/// y[r, c] = activation(y[r, c] + bias[c]) (bias may be null), the same
/// operations in the same order as bias_activation after the product.
struct Epilogue {
  const float* bias = nullptr;
  Activation activation = Activation::Identity;
};

/// Called after each block of rows of a product is complete (all its
/// columns), while it is still in cache: rows [begin, end) of y.
struct RowBlockHook {
  void (*fn)(void* context, std::size_t begin, std::size_t end) = nullptr;
  void* context = nullptr;
};

/// W (n × k) packed as panels of `panel` output columns: panel p holds
/// W[p·panel + j, i] at data[(p·k + i)·panel + j], zero-padded past n, 64-byte
/// aligned (nn::PackedWeights makes it). A panel's values for consecutive k
/// are one contiguous stream. The width is the packing level's
/// KernelTable::packed_panel, 16 or 48; every level's kernel reads both (the
/// tests run each level on weights packed for another).
inline constexpr std::size_t kPackedPanelNarrow = 16;
inline constexpr std::size_t kPackedPanelWide = 48;
struct PackedMatrix {
  const float* data;
  std::size_t n, k;
  std::size_t panel;
  std::size_t panels() const noexcept { return (n + panel - 1) / panel; }
};

/// int8 weights (nn::QuantizedWeights makes them): panels of kInt8Panel
/// output columns × quads of 4 inputs, one scale per column and group of
/// kInt8Group inputs, each column's zero-point sum, and W itself (column
/// order, columns[i·n + c]) for the outlier inputs.
inline constexpr std::size_t kInt8Panel = 16;
inline constexpr std::size_t kInt8Group = 128;
struct Int8Matrix {
  const std::int8_t* packed;   ///< ((p·quads + q)·16 + j)·4 + b → W[16p + j, 4q + b]; 64-byte aligned
  const float* scales;         ///< scale(c, g) at scales[g·padded_n + c]
  const float* zero_sums;      ///< Σ_g scale(c, g) · Σ_{i in g} value(c, i)
  const float* columns;        ///< W[c, i] at columns[i·n + c]
  std::size_t n, k;
  /// packed's values as int16, in the same order, or null: levels whose int8
  /// kernel multiplies int16 (KernelTable::int8_wide_weights) read them
  /// instead of sign-extending each byte as it is loaded.
  const std::int16_t* wide = nullptr;
  std::size_t quads() const noexcept { return (k + 3) / 4; }
  std::size_t groups() const noexcept { return (k + kInt8Group - 1) / kInt8Group; }
  std::size_t panels() const noexcept { return (n + kInt8Panel - 1) / kInt8Panel; }
  std::size_t padded_n() const noexcept { return panels() * kInt8Panel; }
};

/// A row's outliers (left out of the integer product, added in float):
/// |x| > kOutlierRms × the row's RMS.
inline constexpr double kOutlierRms = 4.0;

/// One block of rows of an int8 product, quantized: x[r, i] ≈ scale[r] ·
/// (q − zero_point[r]), except row r's outlier_count[r] outliers, whose
/// indices and values are at outlier_index/outlier_value[r·k …]. `q` is the
/// level's own layout of the quantized bytes (int8_q_bytes). Owned by the
/// caller, sized for the block.
struct Int8Scratch {
  std::uint8_t* q;
  float* scale;
  float* zero_point;
  std::uint32_t* outlier_count;
  std::uint32_t* outlier_index;
  float* outlier_value;
};



/// A CSR matrix (int32 row pointers, as Eigen's) for the sparse products.
struct CsrMatrix {
  std::size_t rows;
  const int* indptr;
  const int* indices;
  const float* values;
};

/// Columns of the dense operands' packed blocks in the sparse products: 32
/// floats or doubles keep a row's running sum in registers and a packed
/// block of a 5,000-row operand within L2.
inline constexpr std::size_t kSparseBlock = 32;

/// Adam's per-step constants (train/adam.h forms them).
struct AdamCoefficients {
  float w1, b2, w2, inv_bc2_sqrt, eps, neg_step_size;
};

/// The FeedForwardTuner's fused training step (train/fused_feed_forward.h)
/// works on hidden units in vectors of kFusedLanes; its layouts are described
/// there. Null on levels without them (the tuner then runs its reference).
inline constexpr std::size_t kFusedLanes = 16;

struct KernelTable {
  Isa isa = Isa::Generic;

  // ---- transformer forward pass (nn/) ----
  /// The panel width (PackedMatrix) this level's gemm_packed reads fastest.
  std::size_t packed_panel = kPackedPanelNarrow;
  /// y[r, c] = epilogue(Σ_i x[r, i] · W[c, i]) for r < m (x row stride ldx,
  /// y row stride ldy ≥ n), each element summed in k order; the hook runs on
  /// each finished block of rows. k ≥ 1, n ≥ 1.
  void (*gemm_packed)(const float* x, std::size_t ldx, std::size_t m, const PackedMatrix& w, float* y,
                      std::size_t ldy, const Epilogue& epilogue, RowBlockHook hook) = nullptr;
  /// y[r, c] = act(y[r, c] + bias[c]); bias may be null.
  void (*bias_activation)(float* y, std::size_t rows, std::size_t cols, const float* bias,
                          Activation act) = nullptr;
  /// In place, row by row: x = LayerNorm(x + (y + bias)), or LayerNorm(x)
  /// when y is null (bias may be null). Mean and variance in double; when
  /// stats is not null, stats[2r] and stats[2r + 1] get row r's mean and
  /// 1/σ as the row used them.
  void (*residual_layer_norm)(float* x, const float* y, const float* bias, std::size_t rows, std::size_t cols,
                              const float* gamma, const float* beta, float eps, float* stats) = nullptr;
  /// In place: each row of a rows × cols block (row stride ld) becomes its softmax.
  void (*softmax_rows)(float* x, std::size_t rows, std::size_t cols, std::size_t ld) = nullptr;
  /// One head of self-attention over t tokens: context[i] = Σ_j softmax_j(
  /// scale · q_i·k_j + bias[i·t + j]) · v_j (q, k, v rows ld apart, context
  /// rows ldc apart, bias t × t or null), scratch of attention_scratch_floats.
  /// Null, or refused by attention_supports, where the level has none (the
  /// caller then uses its BLAS path).
  void (*attention_head)(const float* q, const float* k, const float* v, std::size_t ld, std::size_t t,
                         std::size_t head_dim, float scale, const float* bias, float* scratch, float* context,
                         std::size_t ldc) = nullptr;
  bool (*attention_supports)(std::size_t head_dim) = nullptr;
  std::size_t (*attention_scratch_floats)(std::size_t t, std::size_t head_dim) = nullptr;
  /// out[c] = Σ_r weight(r) · x[r, c] over `rows` rows (row stride ld), in
  /// row order, weight(r) = 1 or (weighted) r + 1.
  void (*sum_rows)(const float* x, std::size_t rows, std::size_t cols, std::size_t ld, bool weighted,
                   float* out) = nullptr;
  /// out[c] = max_r x[r, c].
  void (*max_rows)(const float* x, std::size_t rows, std::size_t cols, std::size_t ld, float* out) = nullptr;

  // ---- int8 products (nn/quantized_gemm.h) ----
  /// Whether this level's int8_block runs faster with Int8Matrix::wide.
  bool int8_wide_weights = false;
  /// The most rows one int8_block call takes (the caller's row blocks): few
  /// enough that a block's y stays in L2 beside W, which is then read from
  /// L2 once per block.
  std::size_t int8_rows = 24;
  /// Bytes of Int8Scratch::q this level needs for `rows` rows of k inputs.
  std::size_t (*int8_q_bytes)(std::size_t rows, std::size_t k) = nullptr;
  /// One block of ≤ int8_rows rows: quantizes them into s, multiplies,
  /// then the zero point, scale, outliers and epilogue. Every level gives
  /// bitwise the generic result (exact integer sums, the same float steps).
  void (*int8_block)(const float* x, std::size_t ldx, std::size_t rows, const Int8Matrix& w, float* y,
                     std::size_t ldy, const Epilogue& epilogue, const Int8Scratch& s) = nullptr;

  // ---- sparse × dense (linalg/sparse_dense.h) ----
  /// c (a.rows × kSparseBlock, packed) = a · b (b: a's columns × kSparseBlock, packed).
  void (*csr_times_block)(const CsrMatrix& a, const float* b, float* c) = nullptr;
  /// w (packed, zeroed by the caller) += aᵀ · (a · q), row by row of a,
  /// summed in float or (the _double form) in double.
  void (*csr_gram_block)(const CsrMatrix& a, const float* q, float* w) = nullptr;
  void (*csr_gram_block_double)(const CsrMatrix& a, const float* q, double* w) = nullptr;

  // ---- training (train/) ----
  /// Adam's update of n parameters; the gradient is left zeroed.
  void (*adam)(std::size_t n, float* p, float* g, float* m, float* v, const AdamCoefficients& c) = nullptr;
  /// h = σ(x W1ᵀ + b1) for the batch's rows (pointers) and hidden vectors
  /// [v0, v1); lanes past `hidden` set to 0.
  void (*ff_hidden)(const float* const* x, std::size_t batch, std::size_t n_in, std::size_t hidden,
                    std::size_t hp, std::size_t v0, std::size_t v1, const float* w1t, const float* b1,
                    float* h) = nullptr;
  /// One part's sums of the logits h W2ᵀ over hidden vectors [v0, v1).
  void (*ff_partial_logits)(const float* h, std::size_t batch, std::size_t classes, std::size_t hp,
                            std::size_t v0, std::size_t v1, const float* w2, float* out) = nullptr;
  /// dz = (dL/dlogits · W2) ⊙ h(1 − h), and the gradients of b1 and W2 there.
  void (*ff_hidden_gradients)(const float* h, const float* d_logits, std::size_t batch, std::size_t classes,
                              std::size_t hp, std::size_t v0, std::size_t v1, const float* w2, float* dz,
                              float* g_b1, float* g_w2) = nullptr;
  /// W1's gradient summed over the batch in registers and Adam's update
  /// under it, for hidden vectors [v0, v1).
  void (*ff_first_layer_adam)(const float* const* x, std::size_t batch, std::size_t n_in, std::size_t hp,
                              std::size_t v0, std::size_t v1, const float* dz, float* p, float* m, float* v,
                              const AdamCoefficients& c) = nullptr;

  // ---- text (text/) ----
  /// Each value rounded to IEEE half precision and back (round to nearest even).
  void (*round_to_half)(float* v, std::size_t n) = nullptr;
};

/// The table of a level; `isa` must run here (isa_runs_here).
const KernelTable& kernels_for(Isa isa) noexcept;

/// The table of cpu_isa(): what the library runs.
const KernelTable& kernels() noexcept;

}  // namespace emb::cpu
