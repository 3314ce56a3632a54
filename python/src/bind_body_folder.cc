// embetter._core: writing a finetuned body as a sentence-transformers folder
// (issue 17). Test-facing: it lets the Python tests check the saved folder
// with sentence-transformers and the original embetter.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "convert.h"
// Internal headers: _core sees only include/ on its include path.
#include "io/safetensors.h"
#include "train/body/folder_writer.h"

namespace emb::py_bind {

namespace {

using Override = std::tuple<std::string, std::string, std::size_t, FloatArray>;

void write_folder(const std::string& source, const std::string& target, const std::vector<Override>& overrides) {
  namespace fs = std::filesystem;
  // The trainer knows each tensor's full shape; a test overriding a slice
  // does not, so it is the checkpoint's (a missing tensor keeps an empty
  // shape, and write_sentence_folder reports it by name).
  std::map<std::string, io::SafetensorsFile> files;
  std::vector<std::vector<float>> values;
  values.reserve(overrides.size());
  std::vector<train::body::ParameterRef> refs;
  for (const auto& [file, name, offset, array] : overrides) {
    auto it = files.find(file);
    if (it == files.end()) it = files.emplace(file, io::SafetensorsFile::open(fs::path(source) / file)).first;
    values.emplace_back(array.data(), array.data() + array.size());
    train::body::ParameterRef ref;
    ref.file = file;
    ref.name = name;
    if (it->second.contains(name)) ref.shape = it->second.info(name).shape;
    ref.offset = offset;
    ref.values = values.back();
    refs.push_back(std::move(ref));
  }
  py::gil_scoped_release nogil;
  train::body::write_sentence_folder(source, refs, target);
}

}  // namespace

void register_body_folder(py::module_& m) {
  m.def("_body_write_folder", &write_folder, py::arg("source"), py::arg("target"), py::arg("overrides"),
        R"pbdoc(Writes the sentence-transformers folder `source` to `target` with
`overrides` put into its safetensors files (test-facing).

Arguments:
    source: the folder to copy.
    target: a new path, an empty folder or a model folder to replace.
    overrides: (file, tensor, offset, values) tuples: `values` (float32, any
        shape, read flat) replace the tensor's elements from `offset`
        (row-major) in `file`, relative to `source` ("model.safetensors").
)pbdoc");
}

}  // namespace emb::py_bind
