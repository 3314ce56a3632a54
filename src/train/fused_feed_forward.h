#pragma once
// The FeedForwardTuner's training step (forward, backward and Adam) as a few
// vector kernels (the kernel table's ff_* entries: AVX-512, AVX2, NEON) over a
// training-time copy of its parameters.
//
// Why a second implementation of feed_forward_net.h: at the sizes the tuner
// trains (a few hundred inputs, ~10⁵ parameters, thousands of 32-row steps) one
// step is only ~5 MFLOP. Through general calls — a GEMM with bias and sigmoid,
// a weight-gradient GEMM that writes a gradient buffer, then Adam streaming
// over four parameter-sized buffers — the call overhead and the L2 traffic of
// that gradient cost as much as the arithmetic. Here:
//  - the first layer's weights are kept transposed (inputs × hidden, hidden
//    padded to a multiple of 16), so both of its products are broadcast-FMA
//    loops over contiguous rows;
//  - its weight gradient is never stored: each tile is summed over the batch in
//    registers and Adam updates the weights and moments under it right away;
//  - the head (hidden → classes) is small and done with vector dot products.
// feed_forward_net.h stays the reference (double-precision gradient checks) and
// the path for the generic level, which has no such kernels.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <thread>
#include <vector>

#include "core/aligned_vector.h"
#include "core/isa.h"
#include "core/spin_barrier.h"
#include "cpu/kernel_table.h"
#include "train/adam.h"
#include "train/feed_forward_net.h"

namespace emb::train {

/// Whether FusedFeedForwardTrainer can run at level `isa` (AVX2, AVX-512 or
/// NEON: the generic level has no fused kernels).
bool fused_feed_forward_available(Isa isa = cpu_isa());

class FusedFeedForwardTrainer {
 public:
  /// Copies the parameters and Adam's moments from the tuner's layout (`shape`,
  /// PyTorch's nn.Linear order) into the training layout. `max_batch`: the most
  /// rows step() will be given. With `threads` ≥ 2, a worker thread takes the
  /// second part of the hidden units (see Part); the result is bitwise the
  /// same as with one thread. `isa`: the level whose kernels run (tests
  /// compare them; fused_feed_forward_available(isa) must hold). `objective`:
  /// the loss whose gradient each step follows.
  FusedFeedForwardTrainer(const FeedForwardShape& shape, std::size_t max_batch, std::span<const float> params,
                          std::span<const float> m, std::span<const float> v,
                          FeedForwardObjective objective = FeedForwardObjective::sigmoid_cross_entropy,
                          int threads = 1, Isa isa = cpu_isa());
  ~FusedFeedForwardTrainer();
  FusedFeedForwardTrainer(const FusedFeedForwardTrainer&) = delete;
  FusedFeedForwardTrainer& operator=(const FusedFeedForwardTrainer&) = delete;

  /// The threads worth using for this shape, out of `available`: 2 where a
  /// step is large enough to pay for two meetings of the threads, else 1.
  static int threads_for(const FeedForwardShape& shape, std::size_t max_batch, int available);

  /// One minibatch: rows `rows` of X (row-major, shape.n_in wide) with class
  /// indices y, then Adam step number `step` (1 for the first). X must stay
  /// valid until the next step() or store().
  void step(const float* X, std::span<const std::size_t> rows, std::span<const std::int32_t> y,
            const AdamHyper& hyper, std::int64_t step);

  /// Stops the worker thread, if any, and writes the parameters and moments
  /// back in the tuner's layout.
  void store(std::span<float> params, std::span<float> m, std::span<float> v);

 private:
  /// Offsets into the training layout: [W1ᵀ (n_in × hp) | b1 (hp) | W2 (classes × hp) | b2 (classes)].
  /// W1ᵀ is stored as two blocks, one per Part (n_in × that part's width):
  /// two threads then never write to the same cache line, nor to the
  /// neighbouring line that the L2 prefetcher fetches with it.
  struct Layout {
    std::size_t n_in, hidden, classes, hp;
    std::size_t b1() const { return n_in * hp; }
    std::size_t w2() const { return b1() + hp; }
    std::size_t b2() const { return w2() + classes * hp; }
    std::size_t size() const { return b2() + classes; }
  };
  /// The hidden units fall into two parts, vectors [begin, end) of 16 units:
  /// the first ⌈vectors/2⌉ and the rest. Everything but the logits is
  /// computed per hidden unit, so a part's W1 columns, b1 and W2 columns are
  /// its own; each logit adds the two parts' sums in a fixed order, whether
  /// one thread computes both or two threads one each. Each part keeps its own
  /// copy of b2 and its moments, updated identically, so neither waits for
  /// the other to finish updating them.
  struct Part {
    std::size_t begin = 0, end = 0;
    AlignedVector<float> b2, m_b2, v_b2, g_b2, d_logits;
  };
  /// A step's inputs, copied so the caller may reuse its buffers at once.
  struct StepArgs {
    std::vector<const float*> rows;
    std::vector<std::int32_t> y;
    AdamCoefficients adam{};  ///< the step's, formed once for all its pieces
    std::size_t parity = 0;
    bool stop = false;
  };

  /// Where W1ᵀ[0, j] is in the training layout, and how far apart its rows are.
  std::size_t w1_index(std::size_t j) const;
  std::size_t w1_stride(std::size_t j) const;
  void from_tuner_layout(std::span<const float> in, float* out) const;
  void to_tuner_layout(const float* in, std::span<const float> b2, std::span<float> out) const;
  /// Part `index`'s hidden units and its sums of the logits.
  void forward_part(int index, const StepArgs& args);
  /// Part `index`'s gradients and Adam updates (after both forward parts).
  void backward_part(int index, const StepArgs& args);
  void run_worker();
  void stop_worker();

  const cpu::KernelTable& kernels_;
  FeedForwardShape shape_;
  FeedForwardObjective objective_;
  Layout layout_;
  AlignedVector<float> params_, m_, v_;
  /// h and then dL/dz1 (batch × hp), and the gradients of b1 and W2 laid out as they are.
  AlignedVector<float> h_, d_hidden_, small_grads_;
  std::array<Part, 2> parts_;
  std::array<StepArgs, 2> steps_;
  /// [step parity][part]: that part's sums of the logits (batch × classes).
  std::array<std::array<AlignedVector<float>, 2>, 2> partial_logits_;
  std::size_t step_count_ = 0;
  SpinBarrier meet_{2};
  std::thread worker_;
};

}  // namespace emb::train
