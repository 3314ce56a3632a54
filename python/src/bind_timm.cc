// Bindings of emb::TimmEncoder: argument conversion and GIL release only; the
// network, preprocessing, batching and threads are in C++ (timm_encoder.h).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "convert.h"
#include "embetter/error.h"
#include "embetter/timm_encoder.h"

namespace emb::py_bind {
namespace py = pybind11;
namespace {

py::array_t<float> encode_pixels(const TimmEncoder& e, const FloatArray& pixels) {
  const auto h = static_cast<py::ssize_t>(e.input_height()), w = static_cast<py::ssize_t>(e.input_width());
  if (pixels.ndim() != 4 || pixels.shape(1) != 3 || pixels.shape(2) != h || pixels.shape(3) != w) {
    std::string shape;
    for (py::ssize_t i = 0; i < pixels.ndim(); ++i) {
      if (i > 0) shape += ", ";
      shape += std::to_string(pixels.shape(i));
    }
    throw InvalidArgument("TimmEncoder: pixel values of shape (" + shape + "); the model takes (n, 3, " +
                          std::to_string(h) + ", " + std::to_string(w) + ")");
  }
  const std::span<const float> values(pixels.data(), static_cast<std::size_t>(pixels.size()));
  Matrix out;
  {
    py::gil_scoped_release nogil;
    out = e.encode_pixels(values, static_cast<std::size_t>(pixels.shape(0)));
  }
  return to_numpy(std::move(out));
}

py::array_t<float> encode_images(const TimmEncoder& e, const py::sequence& images) {
  std::vector<Image> decoded;
  decoded.reserve(images.size());
  for (std::size_t i = 0; i < images.size(); ++i) decoded.push_back(image_of(images[i], i, "TimmEncoder"));
  Matrix out;
  {
    py::gil_scoped_release nogil;
    out = e.encode_images(decoded);
  }
  return to_numpy(std::move(out));
}

py::array_t<float> encode_image_files(const TimmEncoder& e, const std::vector<std::string>& paths) {
  Matrix out;
  {
    py::gil_scoped_release nogil;
    out = e.encode_image_files(paths);
  }
  return to_numpy(std::move(out));
}

py::array_t<float> preprocess(const TimmEncoder& e, const py::handle& image) {
  const Image img = image_of(image, 0, "TimmEncoder");
  std::vector<float> px;
  {
    py::gil_scoped_release nogil;
    px = e.preprocess(img);
  }
  py::array_t<float> out({std::size_t{3}, e.input_height(), e.input_width()});
  std::copy(px.begin(), px.end(), out.mutable_data());
  return out;
}

}  // namespace

void register_timm(py::module_& m) {
  py::class_<TimmEncoder>(m, "TimmEncoder", R"pbdoc(A timm image model (MobileNetV3/V2, EfficientNet B0-B3, ResNet, ViT) run natively;
see embetter.vision.TimmEncoder.)pbdoc")
      .def(py::init([](const std::string& name, bool encode_predictions, int batch_size, int num_threads,
                       bool show_progress_bar) {
             TimmEncoderOptions o;
             o.encode_predictions = encode_predictions;
             o.batch_size = batch_size;
             o.num_threads = num_threads;
             o.show_progress_bar = show_progress_bar;
             o.progress = interruptible();
             py::gil_scoped_release nogil;
             return TimmEncoder::load(name, o);
           }),
           py::arg("name"), py::kw_only(), py::arg("encode_predictions") = false, py::arg("batch_size") = 32,
           py::arg("num_threads") = 0, py::arg("show_progress_bar") = false)
      .def("encode_pixels", &encode_pixels, py::arg("pixel_values"),
           "timm's transformed images (n, 3, H, W) float32 → (n, dim) float32.")
      .def("encode_images", &encode_images, py::arg("images"),
           "uint8 arrays height x width [x channels] (grey, grey+alpha, RGB, RGBA; alpha dropped) → (n, dim) "
           "float32, preprocessed as timm's eval transform.")
      .def("encode_image_files", &encode_image_files, py::arg("paths"),
           "JPEG/PNG/WebP files, decoded in C++ → (n, dim) float32.")
      .def("preprocess", &preprocess, py::arg("image"), "One uint8 image → its pixel values (3, H, W) float32.")
      .def_property_readonly("dim", &TimmEncoder::dim)
      .def_property_readonly("architecture", &TimmEncoder::architecture)
      .def_property_readonly("input_size", [](const TimmEncoder& e) {
        return py::make_tuple(3, e.input_height(), e.input_width());
      });
}

}  // namespace emb::py_bind
