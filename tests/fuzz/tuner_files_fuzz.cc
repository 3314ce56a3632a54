// Our own model files: FeedForwardTuner, ContrastiveTuner and
// ContrastiveLearner (safetensors with JSON metadata), loaded and then used
// once, so that shapes the loader accepted are shapes transform() can run.
// The first byte picks the kind.
#include "embetter/contrastive.h"
#include "embetter/feed_forward_tuner.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string bytes(emb::fuzz::as_text(data + 1, size - 1));
  emb::fuzz::expect_typed_errors([&] {
    switch (data[0] % 3) {
      case 0: {
        const auto t = emb::FeedForwardTuner::from_bytes(std::move(bytes));
        (void)t.transform(emb::Matrix(2, t.n_features_in()));
        break;
      }
      case 1: {
        const auto t = emb::ContrastiveTuner::from_bytes(std::move(bytes));
        (void)t.transform(emb::Matrix(2, t.learner().n_features_in()));
        break;
      }
      default: {
        const auto l = emb::ContrastiveLearner::from_bytes(std::move(bytes));
        (void)l.transform(emb::Matrix(2, l.n_features_in()));
      }
    }
  });
  return 0;
}
