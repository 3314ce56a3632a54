#pragma once
// out = act(X · Wᵀ + b) as one oneDNN matmul primitive: the bias and the
// activation run in the product's epilogue while the tile is still in
// registers, instead of three passes over the output. Built once per shape
// (the JIT compiles it in about a millisecond) and run many times.
#include <Eigen/Core>
#include <deque>
#include <memory>

namespace emb::linalg {

enum class Activation { none, sigmoid };

class FusedLinear {
 public:
  /// X is rows×in (row stride ld_x), W is out×in row-major (PyTorch's Linear
  /// layout), b has out entries, the output is rows×out (row stride ld_out).
  FusedLinear(Eigen::Index rows, Eigen::Index in, Eigen::Index out, Activation activation, Eigen::Index ld_x,
              Eigen::Index ld_out);
  FusedLinear(FusedLinear&&) noexcept;
  FusedLinear& operator=(FusedLinear&&) noexcept;
  ~FusedLinear();

  bool fits(Eigen::Index rows, Eigen::Index in, Eigen::Index out, Activation activation, Eigen::Index ld_x,
            Eigen::Index ld_out) const;
  /// Runs on the calling thread's OpenMP team (one thread for small products,
  /// emb::num_threads() for large ones; linalg/omp_threads.h).
  void operator()(const float* X, const float* W, const float* b, float* out) const;

 private:
  struct Primitive;
  Eigen::Index rows_, in_, out_, ld_x_, ld_out_;
  Activation activation_;
  std::unique_ptr<Primitive> primitive_;
};

/// The layers a training loop needs (a full batch and the last, shorter one),
/// built on first use and kept. A deque, so that a layer handed out stays put
/// while later ones are added.
class FusedLinearCache {
 public:
  const FusedLinear& get(Eigen::Index rows, Eigen::Index in, Eigen::Index out, Activation activation,
                         Eigen::Index ld_x, Eigen::Index ld_out);

 private:
  std::deque<FusedLinear> layers_;
};

}  // namespace emb::linalg
