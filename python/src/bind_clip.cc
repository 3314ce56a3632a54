// Bindings of emb::ClipEncoder: argument conversion and GIL release only; the
// towers, preprocessing, batching and threads are in C++ (clip_encoder.h).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <string>
#include <vector>

#include "convert.h"
#include "embetter/clip_encoder.h"
#include "embetter/error.h"
#include "embetter/image.h"

namespace emb::py_bind {
namespace py = pybind11;
namespace {

Image image_of(const py::handle& item, std::size_t index) { return py_bind::image_of(item, index, "ClipEncoder"); }

py::array_t<float> encode_texts(const ClipEncoder& e, const std::vector<std::string>& texts) {
  Matrix out;
  {
    py::gil_scoped_release nogil;
    out = e.encode_texts(texts);
  }
  return to_numpy(std::move(out));
}

py::array_t<float> encode_pixels(const ClipEncoder& e,
                                 const py::array_t<float, py::array::c_style | py::array::forcecast>& pixels) {
  const std::size_t s = e.image_size();
  if (pixels.ndim() != 4 || pixels.shape(1) != 3 || static_cast<std::size_t>(pixels.shape(2)) != s ||
      static_cast<std::size_t>(pixels.shape(3)) != s) {
    std::string shape;
    for (py::ssize_t i = 0; i < pixels.ndim(); ++i) {
      if (i > 0) shape += ", ";
      shape += std::to_string(pixels.shape(i));
    }
    throw InvalidArgument("ClipEncoder: pixel values of shape (" + shape + "); the model takes (n, 3, " +
                          std::to_string(s) + ", " + std::to_string(s) + ")");
  }
  const auto n = static_cast<std::size_t>(pixels.shape(0));
  const std::span<const float> values(pixels.data(), static_cast<std::size_t>(pixels.size()));
  Matrix out;
  {
    py::gil_scoped_release nogil;
    out = e.encode_pixels(values, n);
  }
  return to_numpy(std::move(out));
}

py::array_t<float> encode_images(const ClipEncoder& e, const py::sequence& images) {
  std::vector<Image> decoded;
  decoded.reserve(images.size());
  for (std::size_t i = 0; i < images.size(); ++i) decoded.push_back(image_of(images[i], i));
  Matrix out;
  {
    py::gil_scoped_release nogil;
    out = e.encode_images(decoded);
  }
  return to_numpy(std::move(out));
}

py::array_t<float> encode_image_files(const ClipEncoder& e, const std::vector<std::string>& paths) {
  Matrix out;
  {
    py::gil_scoped_release nogil;
    out = e.encode_image_files(paths);
  }
  return to_numpy(std::move(out));
}

py::array_t<float> preprocess(const ClipEncoder& e, const py::handle& image) {
  const Image img = image_of(image, 0);
  std::vector<float> px;
  {
    py::gil_scoped_release nogil;
    px = e.preprocess(img);
  }
  const std::size_t hw = px.size() / 3;
  const std::size_t side = e.image_size();
  py::array_t<float> out({std::size_t{3}, side, hw / side});
  std::memcpy(out.mutable_data(), px.data(), px.size() * sizeof(float));
  return out;
}

}  // namespace

void register_clip(py::module_& m) {
  py::class_<ClipEncoder>(m, "ClipEncoder", R"pbdoc(A CLIP model (texts and images in one space) run natively;
see embetter.multi.ClipEncoder.)pbdoc")
      .def(py::init([](const std::string& name, int batch_size, bool normalize, int num_threads,
                       bool show_progress_bar, const std::string& precision) {
             ClipEncoderOptions o;
             o.batch_size = batch_size;
             o.normalize_embeddings = normalize;
             o.num_threads = num_threads;
             o.show_progress_bar = show_progress_bar;
             o.precision = precision;
             o.progress = interruptible();
             py::gil_scoped_release nogil;
             return ClipEncoder::load(name, o);
           }),
           py::arg("name"), py::kw_only(), py::arg("batch_size") = 32, py::arg("normalize_embeddings") = false,
           py::arg("num_threads") = 0, py::arg("show_progress_bar") = false, py::arg("precision") = "fp32")
      .def("encode_texts", &encode_texts, py::arg("texts"), "Texts → (n, dim) float32.")
      .def("encode_pixels", &encode_pixels, py::arg("pixel_values"),
           "CLIPImageProcessor's pixel_values (n, 3, S, S) → (n, dim) float32.")
      .def("encode_images", &encode_images, py::arg("images"),
           "uint8 arrays height x width [x channels] (grey, grey+alpha, RGB, RGBA) → (n, dim) float32, "
           "preprocessed as the model's CLIPImageProcessor.")
      .def("encode_image_files", &encode_image_files, py::arg("paths"),
           "JPEG/PNG/WebP files, decoded in C++ → (n, dim) float32.")
      .def("preprocess", &preprocess, py::arg("image"), "One uint8 image → its pixel values (3, H, W) float32.")
      .def("token_ids", &ClipEncoder::token_ids, py::arg("text"))
      .def_property_readonly("dim", &ClipEncoder::dim)
      .def_property_readonly("max_seq_length", &ClipEncoder::max_seq_length)
      .def_property_readonly("image_size", &ClipEncoder::image_size);
}

}  // namespace emb::py_bind
