#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "embetter/feed_forward_tuner.h"
#include "io/safetensors.h"
#include "support/test_support.h"
#include "train_test_data.h"

namespace emb {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

FeedForwardTuner fitted_tuner(const test::Blobs& data) {
  FeedForwardTunerParams p;
  p.hidden_dim = 6;
  p.n_epochs = 5;
  p.batch_size = 8;
  p.learning_rate = 0.02f;
  p.random_state = 3;
  FeedForwardTuner tuner(p);
  tuner.fit(data.X, data.y);
  return tuner;
}

std::string load_error(const std::filesystem::path& path) {
  try {
    FeedForwardTuner::load(path);
  } catch (const ModelLoadError& e) {
    return e.what();
  }
  return "no ModelLoadError";
}

TEST(FeedForwardTunerIo, SaveLoadRoundTripIsBitwise) {
  const auto data = test::make_blobs(3, 12, 5, 3.0f, 10);
  const auto tuner = fitted_tuner(data);
  const auto path = test::temp_dir() / "tuner.safetensors";
  tuner.save(path);
  const auto loaded = FeedForwardTuner::load(path);

  EXPECT_EQ(loaded.flat_weights(), tuner.flat_weights());
  EXPECT_EQ(loaded.transform(data.X), tuner.transform(data.X));
  EXPECT_EQ(loaded.predict_proba(data.X), tuner.predict_proba(data.X));
  EXPECT_EQ(loaded.classes(), tuner.classes());
  EXPECT_EQ(loaded.n_features_in(), 5u);
  EXPECT_EQ(loaded.n_steps(), tuner.n_steps());
  EXPECT_EQ(loaded.params().hidden_dim, 6);
  EXPECT_EQ(loaded.params().n_epochs, 5);
  EXPECT_EQ(loaded.params().batch_size, 8);
  EXPECT_EQ(loaded.params().learning_rate, 0.02f);
  EXPECT_EQ(loaded.params().random_state, RandomState(3));
  EXPECT_EQ(loaded.params().objective, FeedForwardObjective::sigmoid_cross_entropy);

  const auto from_bytes = FeedForwardTuner::from_bytes(tuner.to_bytes());
  EXPECT_EQ(from_bytes.transform(data.X), tuner.transform(data.X));
}

TEST(FeedForwardTunerIo, FileUsesTheOriginalsTensorNamesAndReadableMetadata) {
  const auto data = test::make_blobs(2, 10, 4, 3.0f, 11);
  const auto tuner = fitted_tuner(data);
  const auto path = test::temp_dir() / "names.safetensors";
  tuner.save(path);
  const auto file = io::SafetensorsFile::open(path);
  EXPECT_EQ(file.names(), (std::vector<std::string>{"hidden.bias", "hidden.weight", "linear.bias", "linear.weight",
                                                    "optimizer.exp_avg", "optimizer.exp_avg_sq"}));
  EXPECT_EQ(file.info("hidden.weight").shape, (std::vector<std::int64_t>{6, 4}));
  EXPECT_EQ(file.info("linear.weight").shape, (std::vector<std::int64_t>{2, 6}));
  EXPECT_EQ(file.metadata().at("embetter.kind"), "FeedForwardTuner");
  EXPECT_EQ(file.metadata().at("classes"), R"(["class_0","class_1"])");
  EXPECT_THAT(file.metadata().at("params"), HasSubstr(R"("random_state":3)"));
}

TEST(FeedForwardTunerIo, PartialFitContinuesAfterLoad) {
  const auto data = test::make_blobs(2, 10, 4, 3.0f, 12);
  auto tuner = fitted_tuner(data);
  auto loaded = FeedForwardTuner::from_bytes(tuner.to_bytes());
  loaded.partial_fit(data.X, data.y);
  EXPECT_EQ(loaded.n_steps(), 2 * tuner.n_steps());
  EXPECT_NE(loaded.flat_weights(), tuner.flat_weights());
}

TEST(FeedForwardTunerIo, UnfittedTunerCannotBeSaved) {
  FeedForwardTuner tuner;
  EXPECT_THROW(tuner.to_bytes(), NotFittedError);
  const auto path = test::temp_dir() / "never.safetensors";
  EXPECT_THROW(tuner.save(path), NotFittedError);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(FeedForwardTunerIo, FilesThatAreNotOursOrWrongGetAClearModelLoadError) {
  const auto data = test::make_blobs(2, 10, 4, 3.0f, 13);
  const auto good = fitted_tuner(data);
  const auto dir = test::temp_dir();
  const auto good_file = io::open_safetensors_bytes(good.to_bytes());

  // Rewrites the good file with one change.
  auto rewrite = [&](const std::string& name, auto&& change, const std::string& drop = "") {
    io::SafetensorsWriter w;
    for (const auto& [key, value] : good_file.metadata()) w.set_metadata(key, value);
    for (const auto& t : good_file.names())
      if (t != drop) w.add(t, good_file.info(t).shape, good_file.floats(t));
    change(w);
    const auto path = dir / name;
    w.write(path);
    return path;
  };

  // Not a safetensors file at all, and a missing file.
  std::ofstream(dir / "garbage.safetensors") << "this is not a model";
  EXPECT_THAT(load_error(dir / "garbage.safetensors"), HasSubstr("garbage.safetensors"));
  EXPECT_THAT(load_error(dir / "missing.safetensors"), HasSubstr("missing.safetensors"));
  // A truncated copy.
  {
    const std::string bytes = good.to_bytes();
    std::ofstream(dir / "truncated.safetensors", std::ios::binary) << bytes.substr(0, bytes.size() - 10);
    EXPECT_THAT(load_error(dir / "truncated.safetensors"), HasSubstr("truncated.safetensors"));
  }
  // A safetensors file that is not ours.
  {
    io::SafetensorsWriter w;
    w.add("weight", Matrix(2, 2));
    w.write(dir / "foreign.safetensors");
    EXPECT_THAT(load_error(dir / "foreign.safetensors"), HasSubstr("not an embetter model file"));
  }
  // Ours, but another kind.
  auto other = rewrite("other.safetensors", [](io::SafetensorsWriter& w) {
    w.set_metadata("embetter.kind", "ContrastiveTuner");
  });
  EXPECT_THAT(load_error(other), HasSubstr("holds a ContrastiveTuner; expected a FeedForwardTuner"));
  // Wrong shapes: a head for 3 classes while the metadata lists 2.
  auto shapes = rewrite("shapes.safetensors", [](io::SafetensorsWriter& w) {
    w.add("linear.weight", {3, 6}, std::vector<float>(18, 0.0f));
  }, "linear.weight");
  EXPECT_THAT(load_error(shapes), HasSubstr("'linear.weight' has shape [3, 6]; expected [2, 6]"));
  // hidden_dim in params disagreeing with the tensors.
  auto params = rewrite("params.safetensors", [](io::SafetensorsWriter& w) {
    w.set_metadata("params", R"({"hidden_dim":7,"n_epochs":5,"learning_rate":0.02,"batch_size":8,"random_state":3})");
  });
  EXPECT_THAT(load_error(params), HasSubstr("'hidden.weight' has shape [6, 4]; expected [7, 4]"));
  // Broken metadata.
  auto bad_params = rewrite("bad_params.safetensors", [](io::SafetensorsWriter& w) {
    w.set_metadata("params", R"({"hidden_dim":"six"})");
  });
  EXPECT_THAT(load_error(bad_params), HasSubstr("params 'hidden_dim' is \"six\"; expected an integer >= 1"));
  auto bad_classes = rewrite("bad_classes.safetensors", [](io::SafetensorsWriter& w) {
    w.set_metadata("classes", "class_0,class_1");
  });
  EXPECT_THAT(load_error(bad_classes), HasSubstr("metadata 'classes': not valid JSON"));
  // A missing tensor and a non-finite weight.
  auto nan_weight = rewrite("nan.safetensors", [](io::SafetensorsWriter& w) {
    w.add("hidden.bias", {6}, std::vector<float>(6, std::numeric_limits<float>::quiet_NaN()));
  }, "hidden.bias");
  EXPECT_THAT(load_error(nan_weight), HasSubstr("'hidden.bias' holds a non-finite value"));
  auto missing = rewrite("missing_tensor.safetensors", [](io::SafetensorsWriter&) {}, "optimizer.exp_avg");
  EXPECT_THAT(load_error(missing), HasSubstr("tensor 'optimizer.exp_avg' is missing"));
  // An objective we do not know, or not a string.
  auto hinge = rewrite("hinge.safetensors", [](io::SafetensorsWriter& w) {
    w.set_metadata("params", R"({"hidden_dim":6,"n_epochs":5,"learning_rate":0.02,"batch_size":8,"random_state":3,)"
                             R"("objective":"hinge"})");
  });
  EXPECT_THAT(load_error(hinge), AllOf(HasSubstr("hinge.safetensors"),
                                       HasSubstr("params 'objective' is 'hinge'; expected 'sigmoid_ce'")));
  auto number = rewrite("objective_number.safetensors", [](io::SafetensorsWriter& w) {
    w.set_metadata("params", R"({"hidden_dim":6,"n_epochs":5,"learning_rate":0.02,"batch_size":8,"random_state":3,)"
                             R"("objective":1})");
  });
  EXPECT_THAT(load_error(number), HasSubstr("params 'objective' is 1; expected a string"));
}

TEST(FeedForwardTunerIo, FilesFromBeforeTheObjectiveWasAChoiceLoadAsSoftmax) {
  // Tuners saved before the objective was a parameter were trained on the
  // softmax cross-entropy of the logits; their params have no "objective".
  const auto data = test::make_blobs(2, 10, 4, 3.0f, 14);
  const auto good = io::open_safetensors_bytes(fitted_tuner(data).to_bytes());
  io::SafetensorsWriter w;
  for (const auto& [key, value] : good.metadata()) w.set_metadata(key, value);
  w.set_metadata("params", R"({"hidden_dim":6,"n_epochs":5,"learning_rate":0.02,"batch_size":8,"random_state":3})");
  for (const auto& t : good.names()) w.add(t, good.info(t).shape, good.floats(t));
  const auto loaded = FeedForwardTuner::from_bytes(w.to_bytes());
  EXPECT_EQ(loaded.params().objective, FeedForwardObjective::softmax_cross_entropy);
}

TEST(FeedForwardTunerIo, ObjectiveNamesRoundTrip) {
  for (const auto objective : {FeedForwardObjective::sigmoid_cross_entropy, FeedForwardObjective::softmax_cross_entropy})
    EXPECT_EQ(parse_feed_forward_objective(objective_name(objective)), objective);
  EXPECT_THAT([] { parse_feed_forward_objective("SIGMOID_CE", "--objective"); },
              ::testing::ThrowsMessage<InvalidArgument>(HasSubstr("--objective is 'SIGMOID_CE'")));
}

}  // namespace
}  // namespace emb
