#pragma once
// numpy <-> emb::Matrix conversions and the GIL-aware progress callback
// shared by the binding files.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "embetter/matrix.h"
#include "embetter/progress.h"

namespace emb::py_bind {

namespace py = pybind11;
using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

/// Copies a 2-D float32 array into a Matrix; `name` appears in errors ("X").
Matrix to_matrix(const FloatArray& a, const char* name);
/// Hands the Matrix's storage to numpy without copying (a capsule owns it).
py::array_t<float> to_numpy(Matrix&& m);
/// A ProgressFn that lets Python handle pending signals (Ctrl-C) between steps;
/// it re-acquires the GIL only for that check.
ProgressFn interruptible();

}  // namespace emb::py_bind
