// Bindings of body finetuning (include/embetter/body_finetuner.h): argument
// conversion and GIL release only; embetter.finetune's SbertLearner and
// BodyTuner build on them.
#include <pybind11/stl.h>

#include <optional>

#include "convert.h"
#include "embetter/body_finetuner.h"

namespace emb::py_bind {

void register_body_finetuner(py::module_& m) {
  py::class_<BodyFinetuner>(m, "BodyFinetuner")
      .def(py::init([](const std::string& name, int max_seq_length) {
             py::gil_scoped_release nogil;
             return BodyFinetuner::load(name, max_seq_length);
           }),
           py::arg("name"), py::arg("max_seq_length") = 0)
      .def(
          "fit",
          [](BodyFinetuner& f, const std::vector<std::string>& first, const std::vector<std::string>& second,
             const std::vector<float>& labels, const std::string& loss, int batch_size, int epochs, int warmup_steps,
             float learning_rate, float weight_decay, float max_grad_norm, bool dropout, bool shuffle,
             RandomState random_state) {
            BodyTrainingOptions o;
            o.loss = parse_pair_loss(loss, "loss");
            o.batch_size = batch_size;
            o.epochs = epochs;
            o.warmup_steps = warmup_steps;
            o.learning_rate = learning_rate;
            o.weight_decay = weight_decay;
            o.max_grad_norm = max_grad_norm;
            o.dropout = dropout;
            o.shuffle = shuffle;
            o.random_state = random_state;
            o.progress = interruptible();
            std::vector<float> losses;
            {
              py::gil_scoped_release nogil;
              losses = f.fit(first, second, labels, o);
            }
            return py::array_t<float>(static_cast<py::ssize_t>(losses.size()), losses.data());
          },
          py::arg("first"), py::arg("second"), py::arg("labels"), py::kw_only(), py::arg("loss"),
          py::arg("batch_size"), py::arg("epochs"), py::arg("warmup_steps"), py::arg("learning_rate"),
          py::arg("weight_decay"), py::arg("max_grad_norm"), py::arg("dropout"), py::arg("shuffle"),
          py::arg("random_state"))
      .def(
          "encode",
          [](const BodyFinetuner& f, const std::vector<std::string>& texts, int batch_size) {
            Matrix out;
            {
              py::gil_scoped_release nogil;
              out = f.encode(texts, batch_size);
            }
            return to_numpy(std::move(out));
          },
          py::arg("texts"), py::arg("batch_size") = 32)
      .def(
          "save",
          [](const BodyFinetuner& f, const std::string& folder) {
            py::gil_scoped_release nogil;
            f.save(folder);
          },
          py::arg("folder"))
      .def_property_readonly("dim", &BodyFinetuner::dim)
      .def_property_readonly("model_path", &BodyFinetuner::model_path)
      .def_property_readonly("steps", &BodyFinetuner::steps);

  // SetFit's pairs from labels: (first, second, label) arrays.
  m.def(
      "label_pairs",
      [](const std::vector<std::string>& labels, int iterations, RandomState random_state) {
        const auto pairs = label_pairs(labels, iterations, random_state);
        const auto n = static_cast<py::ssize_t>(pairs.size());
        py::array_t<std::uint32_t> first(n), second(n);
        py::array_t<float> label(n);
        for (py::ssize_t i = 0; i < n; ++i) {
          first.mutable_at(i) = pairs[static_cast<std::size_t>(i)].first;
          second.mutable_at(i) = pairs[static_cast<std::size_t>(i)].second;
          label.mutable_at(i) = pairs[static_cast<std::size_t>(i)].label;
        }
        return py::make_tuple(first, second, label);
      },
      py::arg("labels"), py::arg("iterations"), py::arg("random_state"));
}

}  // namespace emb::py_bind
