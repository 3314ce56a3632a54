// FeedForwardTuner persistence: one safetensors file (see train/model_file.h)
// with the weights under the original's PyTorch names, Adam's state so that
// partial_fit continues after a load, and params/classes in the metadata.
#include <nlohmann/json.hpp>

#include <algorithm>

#include "embetter/error.h"
#include "embetter/feed_forward_tuner.h"
#include "io/atomic_file.h"
#include "train/feed_forward_net.h"
#include "train/model_file.h"

namespace emb {
namespace {

constexpr const char* kKind = "FeedForwardTuner";

std::span<const float> slice(const std::vector<float>& flat, Eigen::Index begin, Eigen::Index end) {
  return std::span<const float>(flat).subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin));
}

}  // namespace

std::string FeedForwardTuner::to_bytes() const {
  check_fitted("save");
  const nlohmann::json params = {{"hidden_dim", params_.hidden_dim},
                                 {"n_epochs", params_.n_epochs},
                                 {"learning_rate", params_.learning_rate},
                                 {"batch_size", params_.batch_size},
                                 {"random_state", train::random_state_json(params_.random_state)},
                                 {"objective", objective_name(params_.objective)}};
  auto writer = train::model_writer(kKind, params);
  writer.set_metadata("classes", nlohmann::json(classes_.classes()).dump());
  writer.set_metadata("optimizer.step", std::to_string(adam_step_));

  const train::FeedForwardShape shape{static_cast<Eigen::Index>(n_features_), params_.hidden_dim,
                                      static_cast<Eigen::Index>(classes_.num_classes())};
  const char* names[2] = {"hidden", "linear"};
  for (int i = 0; i < 2; ++i) {
    const train::LinearSlot slot = shape.slots()[static_cast<std::size_t>(i)];
    writer.add(std::string(names[i]) + ".weight", {slot.out, slot.in},
               slice(weights_, slot.weight_offset(), slot.bias_offset()));
    writer.add(std::string(names[i]) + ".bias", {slot.out}, slice(weights_, slot.bias_offset(), slot.end()));
  }
  const auto n = static_cast<std::int64_t>(weights_.size());
  writer.add("optimizer.exp_avg", {n}, adam_m_);
  writer.add("optimizer.exp_avg_sq", {n}, adam_v_);
  return writer.to_bytes();
}

void FeedForwardTuner::save(const std::filesystem::path& path) const {
  io::write_file_atomic(path, to_bytes());
}

struct FeedForwardTuner::Persistence {
  static FeedForwardTuner read(const train::ModelReader& file) {
    FeedForwardTunerParams params;
    params.hidden_dim = file.param_int("hidden_dim", 1);
    params.n_epochs = file.param_int("n_epochs", 1);
    params.learning_rate = file.param_positive_float("learning_rate");
    params.batch_size = file.param_int("batch_size", 1);
    params.random_state = file.param_random_state("random_state");
    // Files from before the choice was trained on softmax cross-entropy.
    try {
      params.objective = parse_feed_forward_objective(file.param_string_or("objective", "softmax_ce"),
                                                      "params 'objective'");
    } catch (const InvalidArgument& e) {
      file.fail(e.what());
    }
    FeedForwardTuner tuner(params);

    const auto classes = file.string_list("classes");
    tuner.classes_ = LabelEncoder::from_classes(classes);
    if (tuner.classes_.classes() != classes || classes.size() < 2)
      file.fail("metadata 'classes' must list at least 2 distinct labels in sorted order");
    const auto hidden_shape = file.shape("hidden.weight", 2);
    if (hidden_shape[1] < 1) file.fail("'hidden.weight' has no input features");
    tuner.n_features_ = static_cast<std::size_t>(hidden_shape[1]);

    // Every tensor's expected shape follows from params, classes and the input width.
    const train::FeedForwardShape shape{hidden_shape[1], params.hidden_dim,
                                        static_cast<Eigen::Index>(classes.size())};
    tuner.weights_.resize(static_cast<std::size_t>(shape.n_params()));
    const char* names[2] = {"hidden", "linear"};
    for (int i = 0; i < 2; ++i) {
      const train::LinearSlot slot = shape.slots()[static_cast<std::size_t>(i)];
      const auto w = file.tensor(std::string(names[i]) + ".weight", {slot.out, slot.in});
      const auto b = file.tensor(std::string(names[i]) + ".bias", {slot.out});
      std::copy(w.begin(), w.end(), tuner.weights_.begin() + slot.weight_offset());
      std::copy(b.begin(), b.end(), tuner.weights_.begin() + slot.bias_offset());
    }
    tuner.adam_m_ = file.tensor("optimizer.exp_avg", {shape.n_params()});
    tuner.adam_v_ = file.tensor("optimizer.exp_avg_sq", {shape.n_params()});
    tuner.adam_step_ = file.count("optimizer.step");
    return tuner;
  }
};

FeedForwardTuner FeedForwardTuner::load(const std::filesystem::path& path) {
  return Persistence::read(train::ModelReader::open(path, kKind));
}

FeedForwardTuner FeedForwardTuner::from_bytes(std::string bytes) {
  return Persistence::read(train::ModelReader::from_bytes(std::move(bytes), kKind));
}

}  // namespace emb
