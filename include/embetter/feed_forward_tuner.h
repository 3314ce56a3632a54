#pragma once
/// @file feed_forward_tuner.h
/// FeedForwardTuner: a small network trained on (embedding, label) pairs whose
/// hidden layer becomes a new embedding that pulls same-class points together.
///
/// Network (PyTorch layout, weights [out, in]):
///   hidden = sigmoid(X · hidden.weightᵀ + hidden.bias)      n × hidden_dim   ← transform()
///   logits = hidden · linear.weightᵀ + linear.bias            n × n_classes    ← predict_proba() = softmax
/// Trained with Adam (PyTorch's defaults) on minibatches reshuffled every
/// epoch, on one of two objectives (FeedForwardObjective): by default the
/// original embetter's, CrossEntropyLoss over sigmoid(logits), or the plain
/// softmax cross-entropy of the logits. Weights start as PyTorch's nn.Linear
/// does, U(±1/√fan_in), and both they and the batches are drawn as torch draws
/// them (embetter/torch_generator.h): random_state=s gives the original's
/// initial weights and batch order after torch.manual_seed(s).
///
/// Reproducibility: the same random_state and thread count (emb::set_num_threads)
/// give bitwise the same weights. Matrices are float32 row-major (embetter/matrix.h).
/// Not thread-safe while fitting; const methods may run concurrently.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "embetter/labels.h"
#include "embetter/matrix.h"
#include "embetter/progress.h"
#include "embetter/random.h"
#include "embetter/torch_generator.h"

namespace emb {

/// What the tuner's training minimises, per row with class y (mean over a batch).
enum class FeedForwardObjective {
  /// The original embetter's: CrossEntropyLoss(sigmoid(logits), y), i.e. the
  /// softmax cross-entropy of the squashed logits. On sentence embeddings its
  /// hidden layer separates the classes better (docs/finetuning.md, section 8).
  sigmoid_cross_entropy,
  /// CrossEntropyLoss(logits, y), the textbook classifier loss.
  softmax_cross_entropy,
};

/// "sigmoid_ce" / "softmax_ce": the names the CLI, Python and saved files use.
const char* objective_name(FeedForwardObjective objective);
/// The objective a name stands for; InvalidArgument naming `what` otherwise.
FeedForwardObjective parse_feed_forward_objective(const std::string& name, const char* what = "objective");

struct FeedForwardTunerParams {
  int hidden_dim = 50;          ///< size of the hidden layer (the new embedding)
  int n_epochs = 500;           ///< passes over the data per fit / partial_fit call
  float learning_rate = 0.01f;  ///< Adam's learning rate
  int batch_size = 32;          ///< minibatch size (the last batch of an epoch may be smaller)
  RandomState random_state;     ///< seed for the initial weights and the shuffling, as torch.manual_seed
  FeedForwardObjective objective = FeedForwardObjective::sigmoid_cross_entropy;  ///< what training minimises
  ProgressFn progress;          ///< called once per epoch with (epoch, n_epochs); false → Interrupted
};

class FeedForwardTuner {
 public:
  /// Throws InvalidArgument naming the parameter when one is out of range.
  explicit FeedForwardTuner(FeedForwardTunerParams params = {});

  /// Starts afresh: classes are the sorted unique labels of y (at least two),
  /// weights are re-initialised from random_state, then n_epochs of training.
  FeedForwardTuner& fit(const Matrix& X, const std::vector<std::string>& y);
  /// Trains n_epochs more, keeping the weights and Adam's state. The first call
  /// needs `classes` (at least two; y may hold a subset of them); later calls may
  /// repeat the same classes or leave them empty. A label outside the classes
  /// throws InvalidArgument.
  FeedForwardTuner& partial_fit(const Matrix& X, const std::vector<std::string>& y,
                                const std::vector<std::string>& classes = {});

  /// Hidden sigmoid activations, n × hidden_dim.
  Matrix transform(const Matrix& X) const;
  /// Class probabilities (softmax of the head), n × n_classes in classes() order.
  Matrix predict_proba(const Matrix& X) const;
  /// The most probable class of each row.
  std::vector<std::string> predict(const Matrix& X) const;

  const std::vector<std::string>& classes() const;
  bool fitted() const noexcept { return !weights_.empty(); }
  const FeedForwardTunerParams& params() const noexcept { return params_; }
  /// Number of input features seen at fit (0 before).
  std::size_t n_features_in() const noexcept { return n_features_; }
  /// Adam steps taken so far (for inspection and tests).
  std::int64_t n_steps() const noexcept { return adam_step_; }
  /// All weights as one flat buffer in the order hidden.weight, hidden.bias,
  /// linear.weight, linear.bias (for inspection and tests).
  const std::vector<float>& flat_weights() const noexcept { return weights_; }

  /// One safetensors file: the four tensors under PyTorch's names (hidden.weight,
  /// hidden.bias, linear.weight, linear.bias), Adam's state, and the params and
  /// classes as JSON in the metadata. Written atomically.
  void save(const std::filesystem::path& path) const;
  /// Throws ModelLoadError naming the file when it is not a FeedForwardTuner file.
  static FeedForwardTuner load(const std::filesystem::path& path);
  std::string to_bytes() const;
  static FeedForwardTuner from_bytes(std::string bytes);

 private:
  struct Persistence;  // defined where the file format is (src/train), so it stays out of this header
  friend struct Persistence;

  void initialise(std::size_t n_features, LabelEncoder classes);
  void check_fitted(const char* method) const;
  void check_features(const Matrix& X, const char* method) const;
  /// The epochs of partial_fit, with the fused step (AVX2, AVX-512, NEON) or the portable one.
  void train_fused(const Matrix& X, const std::vector<std::int32_t>& targets, std::size_t batch_size);
  void train_generic(const Matrix& X, const std::vector<std::int32_t>& targets, std::size_t batch_size);

  FeedForwardTunerParams params_;
  LabelEncoder classes_;
  std::size_t n_features_ = 0;
  std::vector<float> weights_;                 // flat, see flat_weights()
  std::vector<float> adam_m_, adam_v_;         // Adam's first and second moments
  std::int64_t adam_step_ = 0;
  TorchGenerator rng_;                         // torch's global generator's part; continues across partial_fit
};

/// The original embetter's name for the same estimator.
using ForwardFinetuner = FeedForwardTuner;

}  // namespace emb
