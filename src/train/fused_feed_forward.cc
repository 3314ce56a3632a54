#include "train/fused_feed_forward.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

#include "embetter/error.h"

namespace emb::train {
namespace {

constexpr std::size_t kLanes = cpu::kFusedLanes;

std::size_t padded(std::size_t n) { return (n + kLanes - 1) / kLanes * kLanes; }

}  // namespace

bool fused_feed_forward_available(Isa isa) { return isa_runs_here(isa) && cpu::kernels_for(isa).ff_hidden; }

FusedFeedForwardTrainer::FusedFeedForwardTrainer(const FeedForwardShape& shape, std::size_t max_batch,
                                                 std::span<const float> params, std::span<const float> m,
                                                 std::span<const float> v, FeedForwardObjective objective,
                                                 int threads, Isa isa)
    : kernels_(cpu::kernels_for(isa)),
      shape_(shape),
      objective_(objective),
      layout_{static_cast<std::size_t>(shape.n_in), static_cast<std::size_t>(shape.n_hidden),
              static_cast<std::size_t>(shape.n_classes), padded(static_cast<std::size_t>(shape.n_hidden))} {
  EMB_ASSERT(fused_feed_forward_available(isa));
  EMB_ASSERT(params.size() == static_cast<std::size_t>(shape.n_params()) && m.size() == params.size() &&
             v.size() == params.size());
  // The calling thread's part is the smaller half when the vectors are odd:
  // it also runs what comes between steps (the batch's rows and labels,
  // Adam's coefficients, the tuner's loop) while the worker waits. Two
  // threads at EMB_ISA=avx2 (13 vectors, 6 + 7): ~1% faster per fit than
  // 7 + 6, over 5 interleaved rounds.
  const std::size_t vectors = layout_.hp / kLanes, split = vectors / 2;
  parts_[0].begin = 0;
  parts_[0].end = parts_[1].begin = split;
  parts_[1].end = vectors;
  params_.assign(layout_.size(), 0.0f);
  m_.assign(layout_.size(), 0.0f);
  v_.assign(layout_.size(), 0.0f);
  from_tuner_layout(params, params_.data());
  from_tuner_layout(m, m_.data());
  from_tuner_layout(v, v_.data());
  h_.assign(max_batch * layout_.hp, 0.0f);
  d_hidden_.assign(max_batch * layout_.hp, 0.0f);
  small_grads_.assign(layout_.b2() - layout_.b1(), 0.0f);

  const std::size_t classes = layout_.classes;
  for (auto& part : parts_) {
    part.b2.assign(params_.begin() + layout_.b2(), params_.end());
    part.m_b2.assign(m_.begin() + layout_.b2(), m_.end());
    part.v_b2.assign(v_.begin() + layout_.b2(), v_.end());
    part.g_b2.assign(classes, 0.0f);
    part.d_logits.assign(max_batch * classes, 0.0f);
  }
  for (auto& step : steps_) {
    step.rows.reserve(max_batch);
    step.y.reserve(max_batch);
  }
  for (auto& parity : partial_logits_)
    for (auto& part : parity) part.assign(max_batch * classes, 0.0f);
  if (threads >= 2 && split < vectors) worker_ = std::thread([this] { run_worker(); });
}

FusedFeedForwardTrainer::~FusedFeedForwardTrainer() { stop_worker(); }

std::size_t FusedFeedForwardTrainer::w1_index(std::size_t j) const {
  const Part& part = j < parts_[1].begin * kLanes ? parts_[0] : parts_[1];
  return layout_.n_in * part.begin * kLanes + (j - part.begin * kLanes);
}

std::size_t FusedFeedForwardTrainer::w1_stride(std::size_t j) const {
  const Part& part = j < parts_[1].begin * kLanes ? parts_[0] : parts_[1];
  return (part.end - part.begin) * kLanes;
}

int FusedFeedForwardTrainer::threads_for(const FeedForwardShape& shape, std::size_t max_batch, int available) {
  // Below ~10⁶ multiply-adds per step, two barriers per step cost more than
  // the second core gains.
  const std::size_t work = static_cast<std::size_t>(shape.n_in) * padded(static_cast<std::size_t>(shape.n_hidden)) *
                           max_batch;
  return available >= 2 && shape.n_hidden > static_cast<Eigen::Index>(kLanes) && work >= (std::size_t{1} << 20) ? 2
                                                                                                                 : 1;
}

void FusedFeedForwardTrainer::from_tuner_layout(std::span<const float> in, float* out) const {
  const auto [n_in, hidden, classes, hp] = layout_;
  const auto first = shape_.hidden(), head = shape_.head();
  for (std::size_t j = 0; j < hidden; ++j) {
    const float* row = in.data() + first.weight_offset() + j * n_in;
    const std::size_t at = w1_index(j);
    const std::size_t stride = w1_stride(j);
    for (std::size_t k = 0; k < n_in; ++k) out[at + k * stride] = row[k];
    out[layout_.b1() + j] = in[static_cast<std::size_t>(first.bias_offset()) + j];
  }
  for (std::size_t c = 0; c < classes; ++c) {
    std::copy_n(in.data() + head.weight_offset() + c * hidden, hidden, out + layout_.w2() + c * hp);
    out[layout_.b2() + c] = in[static_cast<std::size_t>(head.bias_offset()) + c];
  }
}

void FusedFeedForwardTrainer::to_tuner_layout(const float* in, std::span<const float> b2, std::span<float> out) const {
  const auto [n_in, hidden, classes, hp] = layout_;
  const auto first = shape_.hidden(), head = shape_.head();
  for (std::size_t j = 0; j < hidden; ++j) {
    float* row = out.data() + first.weight_offset() + j * n_in;
    const std::size_t at = w1_index(j);
    const std::size_t stride = w1_stride(j);
    for (std::size_t k = 0; k < n_in; ++k) row[k] = in[at + k * stride];
    out[static_cast<std::size_t>(first.bias_offset()) + j] = in[layout_.b1() + j];
  }
  for (std::size_t c = 0; c < classes; ++c) {
    std::copy_n(in + layout_.w2() + c * hp, hidden, out.data() + head.weight_offset() + c * hidden);
    out[static_cast<std::size_t>(head.bias_offset()) + c] = b2[c];
  }
}

void FusedFeedForwardTrainer::store(std::span<float> params, std::span<float> m, std::span<float> v) {
  stop_worker();
  // Both parts hold the same b2 (see Part); part 0's is the one stored.
  to_tuner_layout(params_.data(), parts_[0].b2, params);
  to_tuner_layout(m_.data(), parts_[0].m_b2, m);
  to_tuner_layout(v_.data(), parts_[0].v_b2, v);
}

namespace {

/// dL/dlogits of the objective, / batch for the mean, where
/// logits = b2 + (first part's sums + second part's).
void logit_gradient(FeedForwardObjective objective, const float* first, const float* second, const float* b2,
                    std::span<const std::int32_t> y, std::size_t classes, float* d_logits) {
  const float scale = 1.0f / static_cast<float>(y.size());
  for (std::size_t r = 0; r < y.size(); ++r) {
    float* dl = d_logits + r * classes;
    for (std::size_t c = 0; c < classes; ++c) dl[c] = b2[c] + (first[r * classes + c] + second[r * classes + c]);
    objective_gradient(objective, dl, classes, y[r], scale);
  }
}

}  // namespace

void FusedFeedForwardTrainer::forward_part(int index, const StepArgs& args) {
  const Part& part = parts_[static_cast<std::size_t>(index)];
  const auto [n_in, hidden, classes, hp] = layout_;
  const std::size_t batch = args.rows.size();
  const float* p = params_.data();
  kernels_.ff_hidden(args.rows.data(), batch, n_in, hidden, hp, part.begin, part.end, p + n_in * part.begin * kLanes,
                     p + layout_.b1(), h_.data());
  kernels_.ff_partial_logits(h_.data(), batch, classes, hp, part.begin, part.end, p + layout_.w2(),
                 partial_logits_[args.parity][static_cast<std::size_t>(index)].data());
}

void FusedFeedForwardTrainer::backward_part(int index, const StepArgs& args) {
  Part& part = parts_[static_cast<std::size_t>(index)];
  const auto [n_in, hidden, classes, hp] = layout_;
  const std::size_t batch = args.rows.size();
  const auto& partials = partial_logits_[args.parity];
  logit_gradient(objective_, partials[0].data(), partials[1].data(), part.b2.data(), args.y, classes, part.d_logits.data());

  float* p = params_.data();
  float* g_b1 = small_grads_.data();
  float* g_w2 = g_b1 + hp;
  kernels_.ff_hidden_gradients(h_.data(), part.d_logits.data(), batch, classes, hp, part.begin, part.end, p + layout_.w2(),
                   d_hidden_.data(), g_b1, g_w2);
  for (std::size_t c = 0; c < classes; ++c) {
    float sum = 0.0f;
    for (std::size_t r = 0; r < batch; ++r) sum += part.d_logits[r * classes + c];
    part.g_b2[c] = sum;
  }
  // Adam on this part's columns of b1 and W2, and on its copy of b2.
  const std::size_t begin = part.begin * kLanes, width = (part.end - part.begin) * kLanes;
  auto adam_on = [&](std::size_t offset, std::span<float> grads) {
    adam_update(args.adam, std::span<float>(p + offset, grads.size()), grads,
              std::span<float>(m_.data() + offset, grads.size()), std::span<float>(v_.data() + offset, grads.size()));
  };
  adam_on(layout_.b1() + begin, std::span<float>(g_b1 + begin, width));
  for (std::size_t c = 0; c < classes; ++c) adam_on(layout_.w2() + c * hp + begin, std::span<float>(g_w2 + c * hp + begin, width));
  adam_update(args.adam, part.b2, part.g_b2, part.m_b2, part.v_b2);

  const std::size_t w1 = n_in * part.begin * kLanes;  // this part's block of W1ᵀ
  kernels_.ff_first_layer_adam(args.rows.data(), batch, n_in, hp, part.begin, part.end, d_hidden_.data(), p + w1,
                        m_.data() + w1, v_.data() + w1, args.adam);
}

// With a worker, each step has two meeting points: (1) the step's arguments
// are published, (2) both parts' logit sums are written. The main thread does
// part 0, the worker part 1. Arguments and logit sums alternate between two
// buffers by step parity, so the main thread can publish step s + 1 while the
// worker is still finishing step s: by (1) of step s + 1 the worker has left
// step s − 1 behind, whose buffers step s + 1 reuses.
void FusedFeedForwardTrainer::step(const float* X, std::span<const std::size_t> rows,
                                   std::span<const std::int32_t> y, const AdamHyper& hyper, std::int64_t step) {
  EMB_ASSERT(!rows.empty() && rows.size() * layout_.hp <= h_.size() && y.size() == rows.size());
  StepArgs& args = steps_[step_count_ % 2];
  args.parity = step_count_ % 2;
  ++step_count_;
  args.rows.clear();
  for (const std::size_t r : rows) args.rows.push_back(X + r * layout_.n_in);
  args.y.assign(y.begin(), y.end());
  args.adam = adam_coefficients(hyper, step);
  if (worker_.joinable()) {
    meet_.arrive_and_wait();  // (1)
    forward_part(0, args);
    meet_.arrive_and_wait();  // (2)
    backward_part(0, args);
  } else {
    forward_part(0, args);
    forward_part(1, args);
    backward_part(0, args);
    backward_part(1, args);
  }
}

void FusedFeedForwardTrainer::run_worker() {
  for (std::size_t count = 0;; ++count) {
    meet_.arrive_and_wait();  // (1)
    const StepArgs& args = steps_[count % 2];
    if (args.stop) return;
    forward_part(1, args);
    meet_.arrive_and_wait();  // (2)
    backward_part(1, args);
  }
}

void FusedFeedForwardTrainer::stop_worker() {
  if (!worker_.joinable()) return;
  steps_[step_count_ % 2].stop = true;
  meet_.arrive_and_wait();  // (1): the worker reads `stop` and returns
  worker_.join();
}

}  // namespace emb::train
