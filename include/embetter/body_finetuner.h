#pragma once
/// @file body_finetuner.h
/// Finetuning a sentence-transformers model's transformer itself ("the body")
/// on pairs of texts, in C++ without PyTorch: what sentence-transformers'
/// `fit` does for SbertLearner and SetFit. Forward and backward passes for
/// BERT, RoBERTa, MPNet and DistilBERT with their Pooling, Dense and Normalize
/// modules, dropout as in training mode, AdamW with a linear warm-up and decay,
/// and gradient-norm clipping, all in float32.
///
/// The finetuned model is written as a sentence-transformers folder
/// (SentenceEncoder, sentence-transformers and the original embetter load it).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "embetter/matrix.h"
#include "embetter/progress.h"
#include "embetter/random.h"

namespace emb {

/// sentence-transformers' pair losses.
enum class PairLoss {
  CosineSimilarity,          ///< (cos(a, b) − label)², labels in [0, 1] (SetFit's, SbertLearner's)
  Contrastive,               ///< ContrastiveLoss: cosine distance, margin 0.5, labels 0 or 1
  MultipleNegativesRanking,  ///< in-batch negatives, scale 20; labels unused (every pair is a positive)
};

/// "cosine", "contrastive" or "mnrl"; InvalidArgument naming `what` otherwise.
PairLoss parse_pair_loss(const std::string& name, const char* what);
const char* pair_loss_name(PairLoss loss);

struct BodyTrainingOptions {
  PairLoss loss = PairLoss::CosineSimilarity;
  int batch_size = 16;       ///< pairs per step
  int epochs = 1;
  int warmup_steps = 100;    ///< linear warm-up from 0 to learning_rate, then linear decay to 0
  float learning_rate = 2e-5f;
  float weight_decay = 0.01f;   ///< AdamW's, not applied to biases and LayerNorm weights
  float max_grad_norm = 1.0f;   ///< the gradients' global L2 norm is clipped to this; ≤ 0: no clipping
  /// Dropout as the model's config.json says (training mode); false runs the
  /// forward pass as in eval mode (the parity tests use this).
  bool dropout = true;
  /// Shuffle the pairs every epoch (sentence-transformers' DataLoader does).
  bool shuffle = true;
  RandomState random_state;
  /// Called after each step with (steps done, total steps); false stops
  /// training: the weights go back to what they were before the interrupted
  /// epoch, and fit throws Interrupted.
  ProgressFn progress;
  /// Called after each step with (step number from 1, the batch's loss before the update).
  std::function<void(std::int64_t step, float loss)> on_step;
};

/// One training pair drawn from labelled texts: indices into the texts, and
/// 1 when their labels agree, 0 when they differ.
struct LabelPair {
  std::uint32_t first = 0, second = 0;
  float label = 0;
};

/// SetFit's pairs from labels: `iterations` rounds, each giving every example
/// one positive partner (another example of its label; itself when it is its
/// label's only example) and one negative partner (an example of another
/// label), drawn uniformly. Needs at least two distinct labels
/// (InvalidArgument otherwise).
std::vector<LabelPair> label_pairs(const std::vector<std::string>& labels, int iterations,
                                   const RandomState& random_state);

/// A sentence-transformers model whose transformer can be trained.
class BodyFinetuner {
 public:
  /// A model folder or hub id, as SentenceEncoder::load takes.
  /// `max_seq_length`: tokens per text in fit and encode; 0 = the model's own.
  static BodyFinetuner load(const std::string& name_or_path, int max_seq_length = 0);
  ~BodyFinetuner();
  BodyFinetuner(BodyFinetuner&&) noexcept;
  BodyFinetuner& operator=(BodyFinetuner&&) noexcept;

  /// Trains on pairs (first[i], second[i]) with labels[i] (empty for
  /// MultipleNegativesRanking). Checks every input before the first step:
  /// lengths differ, empty texts, labels out of range → InvalidArgument naming
  /// the argument and index. Returns each step's loss.
  std::vector<float> fit(const std::vector<std::string>& first, const std::vector<std::string>& second,
                         std::span<const float> labels, const BodyTrainingOptions& options);

  /// Embeddings of texts with the current weights (eval mode: no dropout),
  /// `batch_size` texts at a time.
  Matrix encode(const std::vector<std::string>& texts, int batch_size = 32) const;

  /// Writes the model as a sentence-transformers folder at `folder`
  /// (atomically: built next to it, then renamed into place).
  void save(const std::filesystem::path& folder) const;

  std::size_t dim() const;
  /// The folder the weights were loaded from.
  const std::string& model_path() const;
  /// Steps taken by every fit so far.
  std::int64_t steps() const;

  struct Impl;

 private:
  explicit BodyFinetuner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace emb
