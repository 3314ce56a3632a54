// Bindings of the finetuners: argument conversion, GIL release, bytes for pickling.
#include <pybind11/stl.h>

#include <optional>

#include "convert.h"
#include "embetter/contrastive.h"
#include "embetter/feed_forward_tuner.h"

namespace emb::py_bind {
namespace {

using Labels = std::vector<std::string>;

/// What FeedForwardTuner and ContrastiveTuner share: partial_fit on string
/// labels, transform, and their bytes.
template <class Tuner>
void bind_labelled_tuner(py::class_<Tuner>& cls) {
  cls.def("partial_fit",
          [](Tuner& t, const FloatArray& X, const Labels& y, const Labels& classes) {
            Matrix x = to_matrix(X, "X");
            py::gil_scoped_release nogil;
            t.partial_fit(x, y, classes);
          })
      .def("transform",
           [](const Tuner& t, const FloatArray& X) { return call_nogil(t, &Tuner::transform, to_matrix(X, "X")); });
  bind_bytes(cls);
}

}  // namespace

void register_finetune(py::module_& m) {
  // Every model gets `interruptible()`: Ctrl-C stops fit between epochs.
  py::class_<FeedForwardTuner> ff(m, "FeedForwardTuner");
  ff.def(py::init([](int hidden_dim, int n_epochs, float learning_rate, int batch_size, RandomState random_state,
                      const std::string& objective) {
           return FeedForwardTuner({.hidden_dim = hidden_dim, .n_epochs = n_epochs, .learning_rate = learning_rate,
                                    .batch_size = batch_size, .random_state = random_state,
                                    .objective = parse_feed_forward_objective(objective),
                                    .progress = interruptible()});
         }),
         py::kw_only(), py::arg("hidden_dim"), py::arg("n_epochs"), py::arg("learning_rate"), py::arg("batch_size"),
         py::arg("random_state"), py::arg("objective"))
      .def("predict_proba", [](const FeedForwardTuner& t, const FloatArray& X) {
        return call_nogil(t, &FeedForwardTuner::predict_proba, to_matrix(X, "X"));
      });
  bind_labelled_tuner(ff);

  py::class_<ContrastiveTuner> ct(m, "ContrastiveTuner");
  ct.def(py::init([](int hidden_dim, int n_neg, int epochs, float learning_rate, RandomState random_state) {
           return ContrastiveTuner({.hidden_dim = hidden_dim, .n_neg = n_neg, .epochs = epochs,
                                    .learning_rate = learning_rate, .random_state = random_state,
                                    .progress = interruptible()});
         }),
         py::kw_only(), py::arg("hidden_dim"), py::arg("n_neg"), py::arg("epochs"), py::arg("learning_rate"),
         py::arg("random_state"))
      // Rows of the pairs partial_fit would draw from y: first, second, label.
      .def("draw_pairs",
           [](ContrastiveTuner& t, const Labels& y) {
             const auto pairs = t.draw_pairs(y);
             py::array_t<std::uint32_t> first(static_cast<py::ssize_t>(pairs.size())),
                 second(static_cast<py::ssize_t>(pairs.size()));
             py::array_t<float> label(static_cast<py::ssize_t>(pairs.size()));
             for (std::size_t i = 0; i < pairs.size(); ++i) {
               first.mutable_at(i) = pairs[i].first;
               second.mutable_at(i) = pairs[i].second;
               label.mutable_at(i) = pairs[i].label;
             }
             return py::make_tuple(first, second, label);
           })
      // The pair network behind the tuner, as a ContrastiveLearner's bytes.
      .def("learner_bytes", [](const ContrastiveTuner& t) { return py::bytes(t.learner().to_bytes()); });
  bind_labelled_tuner(ct);

  py::class_<ContrastiveLearner> cl(m, "ContrastiveLearner");
  cl.def(py::init([](int shape_out, int batch_size, int epochs, float learning_rate, RandomState random_state) {
           return ContrastiveLearner({.shape_out = shape_out, .batch_size = batch_size, .epochs = epochs,
                                      .learning_rate = learning_rate, .random_state = random_state,
                                      .progress = interruptible()});
         }),
         py::kw_only(), py::arg("shape_out"), py::arg("batch_size"), py::arg("epochs"), py::arg("learning_rate"),
         py::arg("random_state"))
      .def("fit",
           [](ContrastiveLearner& l, const FloatArray& X1, const FloatArray& X2,
              py::array_t<float, py::array::c_style | py::array::forcecast> y) {
             Matrix a = to_matrix(X1, "X1"), b = to_matrix(X2, "X2");
             std::vector<float> targets(y.data(), y.data() + y.size());
             py::gil_scoped_release nogil;
             l.fit(a, b, targets);
           })
      .def("transform",
           [](const ContrastiveLearner& l, const FloatArray& X) {
             return call_nogil(l, &ContrastiveLearner::transform, to_matrix(X, "X"));
           })
      .def("predict", [](const ContrastiveLearner& l, const FloatArray& X1, const FloatArray& X2) {
        Matrix a = to_matrix(X1, "X1"), b = to_matrix(X2, "X2");
        std::vector<float> sims;
        {
          py::gil_scoped_release nogil;
          sims = l.predict(a, b);
        }
        return py::array_t<float>(static_cast<py::ssize_t>(sims.size()), sims.data());
      })
      .def_property_readonly("shape_out", [](const ContrastiveLearner& l) { return l.params().shape_out; })
      .def_property_readonly("batch_size", [](const ContrastiveLearner& l) { return l.params().batch_size; })
      .def_property_readonly("epochs", [](const ContrastiveLearner& l) { return l.params().epochs; })
      .def_property_readonly("learning_rate", [](const ContrastiveLearner& l) { return l.params().learning_rate; })
      .def_property_readonly("n_features_in", &ContrastiveLearner::n_features_in);
  bind_bytes(cl);
}

}  // namespace emb::py_bind
