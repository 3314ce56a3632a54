// Test-facing bindings of the trainable transformer (issue 17), so that
// tests/python/test_body_gradients.py can compare its embeddings and
// gradients with PyTorch's autograd in process. Argument conversion only;
// the pieces are internal (src/train/body), so their header is included by path.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "train/body/gradient_check.h"
#include "convert.h"

namespace emb::py_bind {
namespace {

using train::body::TensorGradient;

/// How the tests name a tensor: its checkpoint name, after its file's
/// folder when that is not the model's root ("2_Dense/linear.weight"), so
/// that two Dense modules' tensors stay apart.
std::string key_of(const TensorGradient& t) {
  const std::string folder = std::filesystem::path(t.file).parent_path().generic_string();
  return folder.empty() ? t.name : folder + "/" + t.name;
}

/// The checkpoint shape, or for a reference to the first rows of a tensor
/// (the token-type table's row 0) those rows.
std::vector<py::ssize_t> values_shape(const TensorGradient& t) {
  std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
  std::size_t total = 1, row = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    total *= static_cast<std::size_t>(shape[i]);
    if (i > 0) row *= static_cast<std::size_t>(shape[i]);
  }
  if (t.values.size() == total) return shape;
  if (shape.size() >= 2 && t.values.size() % row == 0) {
    shape[0] = static_cast<py::ssize_t>(t.values.size() / row);
    return shape;
  }
  return {static_cast<py::ssize_t>(t.values.size())};
}

py::array_t<float> to_array(const std::vector<float>& values, const std::vector<py::ssize_t>& shape) {
  py::array_t<float> out(shape);
  std::copy(values.begin(), values.end(), out.mutable_data());
  return out;
}

py::tuple body_gradients(const std::string& folder, const std::vector<std::vector<std::int32_t>>& token_ids,
                         const FloatArray& d_embeddings, std::optional<std::uint64_t> dropout_seed,
                         std::optional<float> hidden_dropout, std::optional<float> attention_dropout) {
  const Matrix d = to_matrix(d_embeddings, "d_embeddings");
  train::body::BodyGradients result;
  {
    py::gil_scoped_release nogil;
    const train::body::DropoutChoice dropout{dropout_seed.value_or(0), hidden_dropout, attention_dropout};
    result = train::body::body_gradients(folder, token_ids, d, dropout_seed ? &dropout : nullptr);
  }
  py::dict grads;
  for (const auto& t : result.tensors)
    grads[py::str(key_of(t))] =
        py::make_tuple(to_array(t.grad, values_shape(t)), py::tuple(py::cast(t.shape)), t.offset, t.file);
  return py::make_tuple(to_numpy(std::move(result.embeddings)), grads);
}

py::list body_parameters(const std::string& folder) {
  std::vector<TensorGradient> tensors;
  {
    py::gil_scoped_release nogil;
    tensors = train::body::body_tensors(folder);
  }
  py::list out;
  for (const auto& t : tensors) {
    py::dict d;
    d["key"] = key_of(t);
    d["file"] = t.file;
    d["name"] = t.name;
    d["shape"] = py::tuple(py::cast(t.shape));
    d["offset"] = t.offset;
    d["size"] = t.values.size();
    d["decay"] = t.decay;
    d["values"] = to_array(t.values, values_shape(t));
    out.append(d);
  }
  return out;
}

constexpr const char* kBodyGradients = R"pbdoc(
Embeddings and parameter gradients of a sentence-transformers folder's
trainable body for one batch (tests compare them with PyTorch).

Arguments:
  folder: the sentence-transformers folder.
  token_ids: one list of token ids per text, unpadded.
  d_embeddings: float32 array (texts x dim), d(loss)/d(embeddings).
  dropout_seed: None for eval mode; else training-mode dropout with this seed.
  hidden_dropout, attention_dropout: the probabilities with a seed (default:
    the model's config.json).

Returns (embeddings, {key: (grad, checkpoint shape, offset, file)}), key being
the checkpoint name, after its file's folder when not the root
("2_Dense/linear.weight"). grad has the checkpoint shape, or for the
token-type table the rows trained (1 x hidden).
)pbdoc";

}  // namespace

void register_body(py::module_& m) {
  m.def("_body_gradients", &body_gradients, py::arg("folder"), py::arg("token_ids"), py::arg("d_embeddings"),
        py::arg("dropout_seed") = py::none(), py::kw_only(), py::arg("hidden_dropout") = py::none(),
        py::arg("attention_dropout") = py::none(), kBodyGradients);
  m.def("_body_parameters", &body_parameters, py::arg("folder"),
        "The trainable tensors of a sentence-transformers folder: a list of dicts with key, file, name, shape "
        "(the checkpoint's), offset, size, decay and values (as _body_gradients shapes them).");
}

}  // namespace emb::py_bind
