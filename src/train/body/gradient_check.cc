#include "train/body/gradient_check.h"

#include "train/body/sentence_body.h"

namespace emb::train::body {
namespace {

std::vector<TensorGradient> copy_tensors(SentenceBody& body) {
  std::vector<TensorGradient> out;
  for (const auto& p : body.parameters())
    out.push_back({p.file, p.name, p.shape, p.offset, std::vector<float>(p.values.begin(), p.values.end()),
                   std::vector<float>(p.grad.begin(), p.grad.end()), p.decay});
  return out;
}

}  // namespace

BodyGradients body_gradients(const std::filesystem::path& folder,
                             std::span<const std::vector<std::int32_t>> token_ids, const Matrix& d_embeddings,
                             const DropoutChoice* dropout) {
  SentenceBody body = SentenceBody::load(folder);
  std::optional<Dropout> chosen;
  if (dropout)
    chosen = Dropout{dropout->hidden.value_or(body.hidden_dropout()),
                     dropout->attention.value_or(body.attention_dropout()), dropout->seed};
  const std::vector<std::span<const std::int32_t>> views(token_ids.begin(), token_ids.end());
  SentenceBody::Tape tape;
  BodyGradients out;
  body.forward(views, chosen ? &*chosen : nullptr, tape, out.embeddings);
  body.backward(tape, d_embeddings);
  out.tensors = copy_tensors(body);
  return out;
}

std::vector<TensorGradient> body_tensors(const std::filesystem::path& folder) {
  SentenceBody body = SentenceBody::load(folder);
  return copy_tensors(body);
}

}  // namespace emb::train::body
