// BodyFinetuner: sentence-transformers' fit loop (one objective, pairs of
// texts) over our trainable transformer.
#include "embetter/body_finetuner.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "embetter/error.h"
#include "embetter/labels.h"
#include "embetter/sentence_encoder.h"
#include "train/body/adamw.h"
#include "train/body/folder_writer.h"
#include "train/body/grad_clip.h"
#include "train/body/losses.h"
#include "train/body/lr_schedule.h"
#include "train/body/sentence_body.h"
#include "train/pairs.h"

namespace emb {

PairLoss parse_pair_loss(const std::string& name, const char* what) {
  for (const auto loss : {PairLoss::CosineSimilarity, PairLoss::Contrastive, PairLoss::MultipleNegativesRanking})
    if (name == pair_loss_name(loss)) return loss;
  throw InvalidArgument(detail::concat(what, " is '", name, "'; expected 'cosine', 'contrastive' or 'mnrl'"));
}

const char* pair_loss_name(PairLoss loss) {
  switch (loss) {
    case PairLoss::CosineSimilarity: return "cosine";
    case PairLoss::Contrastive: return "contrastive";
    case PairLoss::MultipleNegativesRanking: return "mnrl";
  }
  return "?";
}

std::vector<LabelPair> label_pairs(const std::vector<std::string>& labels, int iterations,
                                   const RandomState& random_state) {
  EMB_CHECK(iterations > 0, "label_pairs: iterations must be positive, got ", iterations);
  EMB_CHECK(!labels.empty(), "label_pairs: no labels");
  const auto codes = LabelEncoder().fit_transform(labels);
  Rng rng(random_state);
  std::vector<LabelPair> pairs;
  pairs.reserve(2 * labels.size() * static_cast<std::size_t>(iterations));
  for (int it = 0; it < iterations; ++it)
    for (const auto& p : train::generate_pairs(codes, 1, rng)) pairs.push_back({p.first, p.second, p.label});
  return pairs;
}

struct BodyFinetuner::Impl {
  std::string name;
  SentenceEncoder tokenizer;   // its token_ids(): the texts as the model sees them
  train::body::SentenceBody body;
  std::int64_t steps = 0;
};

namespace {

using Sequences = std::vector<std::vector<std::int32_t>>;

void check_options(const BodyTrainingOptions& o) {
  EMB_CHECK(o.batch_size > 0, "batch_size must be positive, got ", o.batch_size);
  EMB_CHECK(o.epochs > 0, "epochs must be positive, got ", o.epochs);
  EMB_CHECK(o.warmup_steps >= 0, "warmup_steps must be ≥ 0, got ", o.warmup_steps);
  EMB_CHECK(std::isfinite(o.learning_rate) && o.learning_rate > 0, "learning_rate must be a positive number, got ",
            o.learning_rate);
  EMB_CHECK(std::isfinite(o.weight_decay) && o.weight_decay >= 0, "weight_decay must be ≥ 0, got ", o.weight_decay);
  EMB_CHECK(std::isfinite(o.max_grad_norm), "max_grad_norm must be finite, got ", o.max_grad_norm);
}

void check_pairs(const std::vector<std::string>& first, const std::vector<std::string>& second,
                 std::span<const float> labels, PairLoss loss) {
  EMB_CHECK(!first.empty(), "fit: no pairs (the first texts are empty)");
  EMB_CHECK(first.size() == second.size(), "fit: ", first.size(), " first texts but ", second.size(),
            " second texts; each pair needs both");
  for (std::size_t i = 0; i < first.size(); ++i) {
    EMB_CHECK(!first[i].empty(), "fit: first text ", i, " is empty");
    EMB_CHECK(!second[i].empty(), "fit: second text ", i, " is empty");
  }
  if (loss == PairLoss::MultipleNegativesRanking) return;   // every pair is a positive; labels may be absent
  EMB_CHECK(labels.size() == first.size(), "fit: ", labels.size(), " labels for ", first.size(), " pairs");
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const float y = labels[i];
    if (loss == PairLoss::CosineSimilarity)
      EMB_CHECK(std::isfinite(y) && y >= 0 && y <= 1, "fit: label ", i, " is ", y,
                "; the cosine loss needs a similarity in [0, 1]");
    else
      EMB_CHECK(y == 0 || y == 1, "fit: label ", i, " is ", y, "; the contrastive loss needs 0 or 1");
  }
}

// The model's token ids of each text (truncated to max_seq_length).
Sequences tokenize(const SentenceEncoder& tokenizer, const std::vector<std::string>& texts) {
  Sequences ids;
  ids.reserve(texts.size());
  for (const auto& t : texts) ids.push_back(tokenizer.token_ids(t));
  return ids;
}

// A distinct dropout seed per step: the masks of a run depend on the seed and
// the step only.
std::uint64_t mix(std::uint64_t seed, std::uint64_t step) {
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (step + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

BodyFinetuner::BodyFinetuner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BodyFinetuner::~BodyFinetuner() = default;
BodyFinetuner::BodyFinetuner(BodyFinetuner&&) noexcept = default;
BodyFinetuner& BodyFinetuner::operator=(BodyFinetuner&&) noexcept = default;

BodyFinetuner BodyFinetuner::load(const std::string& name_or_path, int max_seq_length) {
  EMB_CHECK(max_seq_length >= 0, "max_seq_length must be ≥ 0, got ", max_seq_length);
  SentenceEncoderOptions options;
  options.max_seq_length = max_seq_length;
  auto tokenizer = SentenceEncoder::load(name_or_path, options);
  auto body = train::body::SentenceBody::load(tokenizer.model_path());
  return BodyFinetuner(std::make_unique<Impl>(Impl{name_or_path, std::move(tokenizer), std::move(body), 0}));
}

std::size_t BodyFinetuner::dim() const { return impl_->body.dim(); }
const std::string& BodyFinetuner::model_path() const { return impl_->tokenizer.model_path(); }
std::int64_t BodyFinetuner::steps() const { return impl_->steps; }

std::vector<float> BodyFinetuner::fit(const std::vector<std::string>& first, const std::vector<std::string>& second,
                                      std::span<const float> labels, const BodyTrainingOptions& o) {
  check_options(o);
  check_pairs(first, second, labels, o.loss);
  auto& impl = *impl_;
  const Sequences a = tokenize(impl.tokenizer, first), b = tokenize(impl.tokenizer, second);

  const std::size_t n = first.size(), batch = static_cast<std::size_t>(o.batch_size);
  const std::size_t per_epoch = (n + batch - 1) / batch;
  const std::int64_t total = static_cast<std::int64_t>(per_epoch) * o.epochs;
  auto params = impl.body.parameters();
  train::body::AdamWHyper hyper;
  hyper.lr = o.learning_rate;
  hyper.weight_decay = o.weight_decay;
  train::body::AdamW optimizer(params, hyper);
  impl.body.zero_grad();

  Rng rng(o.random_state);
  const std::uint64_t dropout_seed = rng.spawn_seed();
  train::body::Dropout dropout{impl.body.hidden_dropout(), impl.body.attention_dropout(), 0};
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::vector<float> losses;
  losses.reserve(static_cast<std::size_t>(total));
  std::vector<std::vector<float>> before_epoch(params.size());
  train::body::SentenceBody::Tape tape;
  Matrix embeddings, ea, eb, grad_a, grad_b, grad;
  std::vector<std::span<const std::int32_t>> sequences;
  std::vector<float> batch_labels;

  std::int64_t step = 0;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    for (std::size_t p = 0; p < params.size(); ++p)
      before_epoch[p].assign(params[p].values.begin(), params[p].values.end());
    if (o.shuffle) rng.shuffle(std::span(order));
    try {
      for (std::size_t start = 0; start < n; start += batch) {
        const std::size_t m = std::min(batch, n - start);
        // The first texts, then the second ones: one forward pass over 2m sequences.
        sequences.clear();
        batch_labels.clear();
        for (std::size_t i = 0; i < m; ++i) sequences.emplace_back(a[order[start + i]]);
        for (std::size_t i = 0; i < m; ++i) sequences.emplace_back(b[order[start + i]]);
        if (!labels.empty())
          for (std::size_t i = 0; i < m; ++i) batch_labels.push_back(labels[order[start + i]]);
        dropout.seed = mix(dropout_seed, static_cast<std::uint64_t>(impl.steps));
        impl.body.forward(sequences, o.dropout ? &dropout : nullptr, tape, embeddings);
        const std::size_t d = embeddings.cols();
        ea.resize(m, d);
        eb.resize(m, d);
        std::copy_n(embeddings.data(), m * d, ea.data());
        std::copy_n(embeddings.data() + m * d, m * d, eb.data());
        const float loss = train::body::pair_loss(o.loss, ea, eb, batch_labels, grad_a, grad_b);
        grad.resize(2 * m, d);
        std::copy_n(grad_a.data(), m * d, grad.data());
        std::copy_n(grad_b.data(), m * d, grad.data() + m * d);
        impl.body.backward(tape, grad);
        if (o.max_grad_norm > 0) train::body::clip_grad_norm(params, o.max_grad_norm);
        optimizer.step(train::body::warmup_linear_lr(o.learning_rate, step, o.warmup_steps, total));
        ++step;
        ++impl.steps;
        losses.push_back(loss);
        if (o.on_step) o.on_step(step, loss);
        report_progress(o.progress, static_cast<std::size_t>(step), static_cast<std::size_t>(total),
                        "BodyFinetuner.fit");
      }
    } catch (const Interrupted&) {
      // Back to the weights the interrupted epoch started from: a model is
      // either before or after a whole epoch, never in between.
      for (std::size_t p = 0; p < params.size(); ++p)
        std::copy(before_epoch[p].begin(), before_epoch[p].end(), params[p].values.begin());
      impl.body.zero_grad();
      throw;
    }
  }
  return losses;
}

Matrix BodyFinetuner::encode(const std::vector<std::string>& texts, int batch_size) const {
  EMB_CHECK(batch_size > 0, "encode: batch_size must be positive, got ", batch_size);
  const Sequences ids = tokenize(impl_->tokenizer, texts);
  Matrix out(texts.size(), dim());
  train::body::SentenceBody::Tape tape;
  Matrix embeddings;
  std::vector<std::span<const std::int32_t>> sequences;
  for (std::size_t start = 0; start < ids.size(); start += static_cast<std::size_t>(batch_size)) {
    const std::size_t m = std::min(static_cast<std::size_t>(batch_size), ids.size() - start);
    sequences.assign(ids.begin() + static_cast<std::ptrdiff_t>(start),
                     ids.begin() + static_cast<std::ptrdiff_t>(start + m));
    impl_->body.forward(sequences, nullptr, tape, embeddings);
    std::copy_n(embeddings.data(), m * dim(), out.data() + start * dim());
  }
  return out;
}

void BodyFinetuner::save(const std::filesystem::path& folder) const {
  // parameters() hands out spans into the body; the writer only reads them.
  auto params = const_cast<train::body::SentenceBody&>(impl_->body).parameters();
  train::body::write_sentence_folder(impl_->tokenizer.model_path(), params, folder);
}

}  // namespace emb
