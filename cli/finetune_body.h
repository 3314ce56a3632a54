#pragma once
// embetter finetune --body: finetunes a sentence-transformers model's
// transformer on pairs drawn from labelled texts (SetFit's recipe) and writes
// the finetuned model as a sentence-transformers folder.
#include <cstdint>
#include <string>

#include "console.h"

namespace emb::cli {

struct BodyFinetuneOptions {
  std::string model, texts, text_field, labels, label_field, out, loss = "cosine";
  int iterations = 5;
  int epochs = 1;
  int batch_size = 16;
  float learning_rate = 2e-5f;
  float warmup_proportion = 0.1f;
  int max_seq_length = 0;
  std::int64_t seed = -1;
};

void run_body_finetune(const BodyFinetuneOptions& o, const GlobalOptions& global);

}  // namespace emb::cli
