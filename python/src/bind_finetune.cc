// Bindings of the finetuners: argument conversion, GIL release, bytes for pickling.
#include <pybind11/stl.h>

#include <optional>

#include "convert.h"
#include "embetter/contrastive.h"
#include "embetter/feed_forward_tuner.h"

namespace emb::py_bind {
namespace {

RandomState to_seed(std::optional<std::uint64_t> s) { return s ? RandomState(*s) : std::nullopt; }

template <class Model>
void bind_bytes(py::class_<Model>& cls) {
  cls.def("to_bytes", [](const Model& m) { return py::bytes(m.to_bytes()); })
      .def_static("from_bytes", [](py::bytes b) { return Model::from_bytes(std::string(b)); })
      .def("save", [](const Model& m, const std::string& path) { m.save(path); })
      .def_static("load", [](const std::string& path) { return Model::load(path); });
}

using Labels = std::vector<std::string>;

}  // namespace

void register_finetune(py::module_& m) {
  py::class_<FeedForwardTuner> ff(m, "FeedForwardTuner");
  ff.def(py::init([](int hidden_dim, int n_epochs, float learning_rate, int batch_size,
                     std::optional<std::uint64_t> random_state) {
           FeedForwardTunerParams p;
           p.hidden_dim = hidden_dim;
           p.n_epochs = n_epochs;
           p.learning_rate = learning_rate;
           p.batch_size = batch_size;
           p.random_state = to_seed(random_state);
           p.progress = interruptible();
           return FeedForwardTuner(p);
         }),
         py::kw_only(), py::arg("hidden_dim"), py::arg("n_epochs"), py::arg("learning_rate"), py::arg("batch_size"),
         py::arg("random_state"))
      .def("partial_fit",
           [](FeedForwardTuner& t, const FloatArray& X, const Labels& y, const Labels& classes) {
             Matrix x = to_matrix(X, "X");
             py::gil_scoped_release nogil;
             t.partial_fit(x, y, classes);
           })
      .def("transform",
           [](const FeedForwardTuner& t, const FloatArray& X) {
             Matrix x = to_matrix(X, "X"), out;
             {
               py::gil_scoped_release nogil;
               out = t.transform(x);
             }
             return to_numpy(std::move(out));
           })
      .def("predict_proba", [](const FeedForwardTuner& t, const FloatArray& X) {
        Matrix x = to_matrix(X, "X"), out;
        {
          py::gil_scoped_release nogil;
          out = t.predict_proba(x);
        }
        return to_numpy(std::move(out));
      });
  bind_bytes(ff);

  py::class_<ContrastiveTuner> ct(m, "ContrastiveTuner");
  ct.def(py::init([](int hidden_dim, int n_neg, int epochs, float learning_rate,
                     std::optional<std::uint64_t> random_state) {
           ContrastiveTunerParams p;
           p.hidden_dim = hidden_dim;
           p.n_neg = n_neg;
           p.epochs = epochs;
           p.learning_rate = learning_rate;
           p.random_state = to_seed(random_state);
           p.progress = interruptible();
           return ContrastiveTuner(p);
         }),
         py::kw_only(), py::arg("hidden_dim"), py::arg("n_neg"), py::arg("epochs"), py::arg("learning_rate"),
         py::arg("random_state"))
      .def("partial_fit",
           [](ContrastiveTuner& t, const FloatArray& X, const Labels& y, const Labels& classes) {
             Matrix x = to_matrix(X, "X");
             py::gil_scoped_release nogil;
             t.partial_fit(x, y, classes);
           })
      .def("transform", [](const ContrastiveTuner& t, const FloatArray& X) {
        Matrix x = to_matrix(X, "X"), out;
        {
          py::gil_scoped_release nogil;
          out = t.transform(x);
        }
        return to_numpy(std::move(out));
      });
  bind_bytes(ct);

  py::class_<ContrastiveLearner> cl(m, "ContrastiveLearner");
  cl.def(py::init([](int shape_out, int batch_size, int epochs, float learning_rate,
                     std::optional<std::uint64_t> random_state) {
           ContrastiveLearnerParams p;
           p.shape_out = shape_out;
           p.batch_size = batch_size;
           p.epochs = epochs;
           p.learning_rate = learning_rate;
           p.random_state = to_seed(random_state);
           p.progress = interruptible();
           return ContrastiveLearner(p);
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
             Matrix x = to_matrix(X, "X"), out;
             {
               py::gil_scoped_release nogil;
               out = l.transform(x);
             }
             return to_numpy(std::move(out));
           })
      .def("predict", [](const ContrastiveLearner& l, const FloatArray& X1, const FloatArray& X2) {
        Matrix a = to_matrix(X1, "X1"), b = to_matrix(X2, "X2");
        std::vector<float> sims;
        {
          py::gil_scoped_release nogil;
          sims = l.predict(a, b);
        }
        return py::array_t<float>(static_cast<py::ssize_t>(sims.size()), sims.data());
      });
  bind_bytes(cl);
}

}  // namespace emb::py_bind
