#pragma once
/// @file contrastive.h
/// Contrastive finetuning on top of fixed embeddings, as embetter's
/// ContrastiveLearner and ContrastiveTuner do it, without PyTorch.
///
/// ContrastiveLearner: one tower shared by both inputs of a pair,
///   embed(x) = embed2.weight · relu(embed1.weight · x + embed1.bias) + embed2.bias   (shape_out wide)
/// trained with Adam (PyTorch's defaults) on the mean squared error between
/// cos(embed(x1), embed(x2)) and the pair's label, minibatches reshuffled every epoch.
///
/// ContrastiveTuner: draws SetFit-style pairs from labelled examples (for each
/// example one positive pair with a same-class example, itself if it is the
/// only one of its class, and n_neg negatives with examples of other classes)
/// and trains a ContrastiveLearner on them; transform() is the learner's embedding.
///
/// Matrices are float32 row-major. The same random_state and thread count give
/// bitwise the same weights. Not thread-safe while fitting; const methods are.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "embetter/labels.h"
#include "embetter/matrix.h"
#include "embetter/progress.h"
#include "embetter/random.h"

namespace emb {

struct ContrastiveLearnerParams {
  int shape_out = 300;            ///< width of the learned embedding
  int batch_size = 16;            ///< pairs per minibatch
  int epochs = 1;                 ///< passes over the pairs per fit / partial_fit call
  float learning_rate = 2e-5f;    ///< Adam's learning rate
  RandomState random_state;       ///< seed for the initial weights and the shuffling
  ProgressFn progress;            ///< called once per epoch with (epoch, epochs); false → Interrupted
};

class ContrastiveLearner {
 public:
  /// Throws InvalidArgument naming the parameter when one is out of range.
  explicit ContrastiveLearner(ContrastiveLearnerParams params = {});

  /// Starts afresh (new weights from random_state) and trains on the pairs
  /// (X1[i], X2[i]) with similarity targets y[i] (1 = similar, 0 = not; any finite value).
  ContrastiveLearner& fit(const Matrix& X1, const Matrix& X2, const std::vector<float>& y);
  /// Trains `epochs` more on these pairs, keeping the weights and Adam's state
  /// (initialising them on the first call).
  ContrastiveLearner& partial_fit(const Matrix& X1, const Matrix& X2, const std::vector<float>& y);

  /// The embedding, n × shape_out.
  Matrix transform(const Matrix& X) const;
  /// Cosine similarity of each pair's embeddings (torch.nn.CosineSimilarity, eps 1e-8).
  std::vector<float> predict(const Matrix& X1, const Matrix& X2) const;

  bool fitted() const noexcept { return !weights_.empty(); }
  const ContrastiveLearnerParams& params() const noexcept { return params_; }
  std::size_t n_features_in() const noexcept { return n_features_; }
  std::int64_t n_steps() const noexcept { return adam_step_; }
  /// embed1.weight, embed1.bias, embed2.weight, embed2.bias as one flat buffer.
  const std::vector<float>& flat_weights() const noexcept { return weights_; }

  /// One safetensors file: embed1/embed2 weights and biases (PyTorch's names),
  /// Adam's state, params as JSON metadata. Written atomically.
  void save(const std::filesystem::path& path) const;
  /// Throws ModelLoadError naming the file when it is not a ContrastiveLearner file.
  static ContrastiveLearner load(const std::filesystem::path& path);
  std::string to_bytes() const;
  static ContrastiveLearner from_bytes(std::string bytes);

 private:
  struct Persistence;  // defined with the file format in src/train
  friend struct Persistence;
  friend class ContrastiveTuner;

  void initialise(std::size_t n_features);
  void check_fitted(const char* method) const;
  void check_features(const Matrix& X, const char* what, const char* method) const;
  /// The epochs of partial_fit on pairs (first_rows[first[i]], second_rows[second[i]])
  /// with targets y[i]; the two matrices may be the same object (ContrastiveTuner).
  void train_pairs(const Matrix& first_rows, const Matrix& second_rows, std::span<const std::uint32_t> first,
                   std::span<const std::uint32_t> second, const std::vector<float>& y);

  ContrastiveLearnerParams params_;
  std::size_t n_features_ = 0;
  std::vector<float> weights_;
  std::vector<float> adam_m_, adam_v_;
  std::int64_t adam_step_ = 0;
  Rng rng_;
};

struct ContrastiveTunerParams {
  int hidden_dim = 50;            ///< width of the learned embedding
  int n_neg = 3;                  ///< negative pairs per example
  int epochs = 20;                ///< passes over the pairs per fit / partial_fit call
  float learning_rate = 0.001f;   ///< Adam's learning rate
  int batch_size = 256;           ///< pairs per minibatch (fixed at 256 in the original)
  RandomState random_state;       ///< seed for the pairs, the initial weights and the shuffling
  ProgressFn progress;            ///< called once per epoch with (epoch, epochs); false → Interrupted
};

class ContrastiveTuner {
 public:
  /// Throws InvalidArgument naming the parameter when one is out of range.
  explicit ContrastiveTuner(ContrastiveTunerParams params = {});

  /// Starts afresh: classes from y (at least two), new pairs, new weights.
  ContrastiveTuner& fit(const Matrix& X, const std::vector<std::string>& y);
  /// Draws new pairs from this batch and trains `epochs` more, keeping the
  /// weights. The first call needs `classes` (at least two); each batch needs
  /// two classes present (a negative pair joins different classes). Unknown
  /// labels throw InvalidArgument. (The original rebuilds its network on every
  /// call; continuing is what partial_fit promises.)
  ContrastiveTuner& partial_fit(const Matrix& X, const std::vector<std::string>& y,
                                const std::vector<std::string>& classes = {});

  /// The learned embedding, n × hidden_dim.
  Matrix transform(const Matrix& X) const;

  /// One pair drawn from labelled examples: rows `first` and `second`, label
  /// 1 (same class) or 0.
  struct LabelledPair {
    std::uint32_t first = 0, second = 0;
    float label = 0;
  };
  /// The pairs partial_fit would draw from labels y (at least two distinct),
  /// from the tuner's own pair stream, which this advances (the original's
  /// generate_batch).
  std::vector<LabelledPair> draw_pairs(const std::vector<std::string>& y);

  const std::vector<std::string>& classes() const;
  bool fitted() const noexcept { return learner_.fitted(); }
  const ContrastiveTunerParams& params() const noexcept { return params_; }
  const ContrastiveLearner& learner() const noexcept { return learner_; }

  /// As ContrastiveLearner's file, with kind ContrastiveTuner and the classes in the metadata.
  void save(const std::filesystem::path& path) const;
  static ContrastiveTuner load(const std::filesystem::path& path);
  std::string to_bytes() const;
  static ContrastiveTuner from_bytes(std::string bytes);

 private:
  struct Persistence;
  friend struct Persistence;

  ContrastiveTunerParams params_;
  LabelEncoder classes_;
  ContrastiveLearner learner_;
  Rng rng_;  // draws the pairs; continues across partial_fit calls
};

}  // namespace emb
