#pragma once
// Runs a SentenceModel over many token sequences: batches of similar length
// (sorted like sentence-transformers), the sequences of a batch spread over
// threads, progress reported per batch, rows returned in input order. Each
// sequence is computed alone, so its embedding is the same bit for bit
// whatever else is in the batch and whatever the thread count.
#include <cstdint>
#include <span>
#include <vector>

#include "embetter/matrix.h"
#include "embetter/progress.h"
#include "encoders/sentence_model.h"

namespace emb::encoders {

struct BatchOptions {
  std::size_t batch_size = 32;
  int num_threads = 0;   ///< 0: emb::num_threads()
  bool show_progress_bar = false;
  ProgressFn progress;
  /// When these sequences are one window of a longer list: the sequences
  /// before them and the list's length (0 = these sequences are all), so that
  /// progress counts over the whole list.
  std::size_t progress_offset = 0;
  std::size_t progress_total = 0;
};

/// Draws "Batches: [###   ] done/total" on stderr, as sentence-transformers'
/// progress bar counts (a newline once done == total).
void draw_batches_bar(std::size_t done, std::size_t total);

/// Row i is the embedding of sequences[i] (n × model.dim()).
Matrix embed_sequences(const SentenceModel& model, std::span<const std::vector<std::int32_t>> sequences,
                       const BatchOptions& options);

}  // namespace emb::encoders
