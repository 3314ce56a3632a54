#include "convert.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "embetter/error.h"

namespace emb::py_bind {

Image image_of(const py::handle& item, std::size_t index, const char* who) {
  const auto where = [&] { return std::string(who) + ": image " + std::to_string(index) + " "; };
  if (!py::isinstance<py::array>(item)) throw InvalidArgument(where() + "is not a numpy array");
  const auto a = py::reinterpret_borrow<py::array>(item);
  if (!a.dtype().is(py::dtype::of<std::uint8_t>()))
    throw InvalidArgument(where() + "has dtype " + py::str(a.dtype()).cast<std::string>() +
                          "; expected uint8 (0..255), as Pillow's images are");
  if (a.ndim() != 2 && a.ndim() != 3)
    throw InvalidArgument(where() + "has " + std::to_string(a.ndim()) +
                          " dimensions; expected height x width (grey) or height x width x channels");
  Image image;
  image.height = static_cast<std::size_t>(a.shape(0));
  image.width = static_cast<std::size_t>(a.shape(1));
  image.channels = a.ndim() == 2 ? 1 : static_cast<int>(a.shape(2));
  if (image.channels < 1 || image.channels > 4)
    throw InvalidArgument(where() + "has " + std::to_string(image.channels) +
                          " channels; expected 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA)");
  if (image.width == 0 || image.height == 0) throw InvalidArgument(where() + "is empty (0 pixels)");
  const auto c = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(a);
  image.pixels.assign(c.data(), c.data() + c.size());
  return image;
}

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
