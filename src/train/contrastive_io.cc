// ContrastiveLearner / ContrastiveTuner persistence (layout: train/model_file.h):
// embed1/embed2 under PyTorch's names, Adam's state, params (and the tuner's
// classes) in the metadata.
#include <nlohmann/json.hpp>

#include <algorithm>

#include "embetter/contrastive.h"
#include "embetter/error.h"
#include "io/atomic_file.h"
#include "train/contrastive_net.h"
#include "train/model_file.h"

namespace emb {

struct ContrastiveLearner::Persistence {
  static void write_tensors(const ContrastiveLearner& l, io::SafetensorsWriter& writer) {
    const train::ContrastiveShape shape{static_cast<Eigen::Index>(l.n_features_), l.params_.shape_out};
    const char* names[2] = {"embed1", "embed2"};
    const std::span<const float> flat(l.weights_);
    for (int i = 0; i < 2; ++i) {
      const train::LinearSlot slot = shape.slots()[static_cast<std::size_t>(i)];
      writer.add(std::string(names[i]) + ".weight", {slot.out, slot.in},
                 flat.subspan(static_cast<std::size_t>(slot.weight_offset()), static_cast<std::size_t>(slot.in * slot.out)));
      writer.add(std::string(names[i]) + ".bias", {slot.out},
                 flat.subspan(static_cast<std::size_t>(slot.bias_offset()), static_cast<std::size_t>(slot.out)));
    }
    const auto n = static_cast<std::int64_t>(l.weights_.size());
    writer.add("optimizer.exp_avg", {n}, l.adam_m_);
    writer.add("optimizer.exp_avg_sq", {n}, l.adam_v_);
    writer.set_metadata("optimizer.step", std::to_string(l.adam_step_));
  }

  // Fills a learner constructed with the file's params from its tensors.
  static void read_tensors(ContrastiveLearner& l, const train::ModelReader& file) {
    const auto embed1 = file.shape("embed1.weight", 2);
    if (embed1[1] < 1) file.fail("'embed1.weight' has no input features");
    l.n_features_ = static_cast<std::size_t>(embed1[1]);
    const train::ContrastiveShape shape{embed1[1], l.params_.shape_out};
    l.weights_.resize(static_cast<std::size_t>(shape.n_params()));
    const char* names[2] = {"embed1", "embed2"};
    for (int i = 0; i < 2; ++i) {
      const train::LinearSlot slot = shape.slots()[static_cast<std::size_t>(i)];
      const auto w = file.tensor(std::string(names[i]) + ".weight", {slot.out, slot.in});
      const auto b = file.tensor(std::string(names[i]) + ".bias", {slot.out});
      std::copy(w.begin(), w.end(), l.weights_.begin() + slot.weight_offset());
      std::copy(b.begin(), b.end(), l.weights_.begin() + slot.bias_offset());
    }
    l.adam_m_ = file.tensor("optimizer.exp_avg", {shape.n_params()});
    l.adam_v_ = file.tensor("optimizer.exp_avg_sq", {shape.n_params()});
    l.adam_step_ = file.count("optimizer.step");
  }

  static ContrastiveLearner read(const train::ModelReader& file) {
    ContrastiveLearnerParams p;
    p.shape_out = file.param_int("shape_out", 1);
    p.batch_size = file.param_int("batch_size", 1);
    p.epochs = file.param_int("epochs", 1);
    p.learning_rate = file.param_positive_float("learning_rate");
    p.random_state = file.param_random_state("random_state");
    ContrastiveLearner learner(p);
    read_tensors(learner, file);
    return learner;
  }
};

std::string ContrastiveLearner::to_bytes() const {
  check_fitted("save");
  auto writer = train::model_writer("ContrastiveLearner",
                                    {{"shape_out", params_.shape_out},
                                     {"batch_size", params_.batch_size},
                                     {"epochs", params_.epochs},
                                     {"learning_rate", params_.learning_rate},
                                     {"random_state", train::random_state_json(params_.random_state)}});
  Persistence::write_tensors(*this, writer);
  return writer.to_bytes();
}

void ContrastiveLearner::save(const std::filesystem::path& path) const { io::write_file_atomic(path, to_bytes()); }

ContrastiveLearner ContrastiveLearner::load(const std::filesystem::path& path) {
  return Persistence::read(train::ModelReader::open(path, "ContrastiveLearner"));
}

ContrastiveLearner ContrastiveLearner::from_bytes(std::string bytes) {
  return Persistence::read(train::ModelReader::from_bytes(std::move(bytes), "ContrastiveLearner"));
}

struct ContrastiveTuner::Persistence {
  static ContrastiveTuner read(const train::ModelReader& file) {
    ContrastiveTunerParams p;
    p.hidden_dim = file.param_int("hidden_dim", 1);
    p.n_neg = file.param_int("n_neg", 0);
    p.epochs = file.param_int("epochs", 1);
    p.learning_rate = file.param_positive_float("learning_rate");
    p.batch_size = file.param_int("batch_size", 1);
    p.random_state = file.param_random_state("random_state");
    ContrastiveTuner tuner(p);
    const auto classes = file.string_list("classes");
    tuner.classes_ = LabelEncoder::from_classes(classes);
    if (tuner.classes_.classes() != classes || classes.size() < 2)
      file.fail("metadata 'classes' must list at least 2 distinct labels in sorted order");
    ContrastiveLearner::Persistence::read_tensors(tuner.learner_, file);
    return tuner;
  }
};

std::string ContrastiveTuner::to_bytes() const {
  EMB_CHECK_AS(NotFittedError, fitted(), "ContrastiveTuner.save: this tuner is not fitted yet; call fit first");
  auto writer = train::model_writer("ContrastiveTuner",
                                    {{"hidden_dim", params_.hidden_dim},
                                     {"n_neg", params_.n_neg},
                                     {"epochs", params_.epochs},
                                     {"learning_rate", params_.learning_rate},
                                     {"batch_size", params_.batch_size},
                                     {"random_state", train::random_state_json(params_.random_state)}});
  writer.set_metadata("classes", nlohmann::json(classes_.classes()).dump());
  ContrastiveLearner::Persistence::write_tensors(learner_, writer);
  return writer.to_bytes();
}

void ContrastiveTuner::save(const std::filesystem::path& path) const { io::write_file_atomic(path, to_bytes()); }

ContrastiveTuner ContrastiveTuner::load(const std::filesystem::path& path) {
  return Persistence::read(train::ModelReader::open(path, "ContrastiveTuner"));
}

ContrastiveTuner ContrastiveTuner::from_bytes(std::string bytes) {
  return Persistence::read(train::ModelReader::from_bytes(std::move(bytes), "ContrastiveTuner"));
}

}  // namespace emb
