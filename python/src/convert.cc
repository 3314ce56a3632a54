#include "convert.h"

#include <algorithm>
#include <vector>

#include "embetter/error.h"

namespace emb::py_bind {

Matrix to_matrix(const FloatArray& a, const char* name) {
  EMB_CHECK(a.ndim() == 2, name, ": expected a 2-D array, got ", a.ndim(), " dimension(s)");
  const auto rows = static_cast<std::size_t>(a.shape(0)), cols = static_cast<std::size_t>(a.shape(1));
  std::vector<float> values(a.data(), a.data() + rows * cols);
  return Matrix(rows, cols, std::move(values));
}

py::array_t<float> to_numpy(Matrix&& m) {
  const auto rows = static_cast<py::ssize_t>(m.rows()), cols = static_cast<py::ssize_t>(m.cols());
  auto* storage = new std::vector<float>(std::move(m).release());
  py::capsule owner(storage, [](void* p) { delete static_cast<std::vector<float>*>(p); });
  return py::array_t<float>({rows, cols}, {cols * static_cast<py::ssize_t>(sizeof(float)), static_cast<py::ssize_t>(sizeof(float))},
                            storage->data(), owner);
}

ProgressFn interruptible() {
  return [](std::size_t, std::size_t) {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      PyErr_Clear();  // re-raised as KeyboardInterrupt by the Interrupted translator
      return false;
    }
    return true;
  };
}

}  // namespace emb::py_bind
