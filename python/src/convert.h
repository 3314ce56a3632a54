#pragma once
// numpy <-> emb::Matrix conversions, the GIL-aware progress callback and the
// small binding helpers shared by the bind_*.cc files.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <type_traits>

#include "embetter/image.h"
#include "embetter/matrix.h"
#include "embetter/progress.h"

namespace emb::py_bind {

namespace py = pybind11;
using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

/// Copies a 2-D float32 array into a Matrix; `name` appears in errors ("X").
Matrix to_matrix(const FloatArray& a, const char* name);
/// Hands the Matrix's storage to numpy without copying (a capsule owns it).
py::array_t<float> to_numpy(Matrix&& m);
/// A uint8 array height × width [× channels] (grey, grey+alpha, RGB, RGBA) as a
/// decoded image, copied so that the encoder then runs without the GIL;
/// InvalidArgument naming `who` and the item's index otherwise.
Image image_of(const py::handle& item, std::size_t index, const char* who);
/// A ProgressFn that lets Python handle pending signals (Ctrl-C) between steps;
/// it re-acquires the GIL only for that check.
ProgressFn interruptible();

/// `(model.*method)(input)` with the GIL released; the result goes to numpy
/// without a copy. `input` must already be converted (it is read without the GIL).
template <class Model, class In>
py::array_t<float> call_nogil(const Model& model, Matrix (Model::*method)(const In&) const,
                              const std::type_identity_t<In>& input) {
  Matrix out;
  {
    py::gil_scoped_release nogil;
    out = (model.*method)(input);
  }
  return to_numpy(std::move(out));
}

/// to_bytes/from_bytes (pickling) and save/load (one file) of a model class.
template <class Model>
void bind_bytes(py::class_<Model>& cls) {
  cls.def("to_bytes", [](const Model& m) { return py::bytes(m.to_bytes()); })
      .def_static("from_bytes", [](py::bytes b) { return Model::from_bytes(std::string(b)); })
      .def("save", [](const Model& m, const std::string& path) { m.save(path); })
      .def_static("load", [](const std::string& path) { return Model::load(path); });
}

}  // namespace emb::py_bind
