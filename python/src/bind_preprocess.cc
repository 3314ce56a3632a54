// Bindings of Pillow's resize and the CLIP / timm preprocessing (src/image):
// argument conversion and GIL release only.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <string>

#include "embetter/error.h"
#include "embetter/image.h"
#include "image/preprocess.h"

namespace emb::py_bind {
namespace py = pybind11;
namespace {

// A path (decoded in C++) or a C-contiguous uint8 array height x width [x channels].
Image to_image(const py::object& item, const char* who) {
  if (py::isinstance<py::str>(item)) {
    const std::string path = item.cast<std::string>();
    py::gil_scoped_release nogil;
    return read_image(path);
  }
  if (!py::isinstance<py::array>(item))
    throw InvalidArgument(std::string(who) + ": the image is neither a path nor a numpy array");
  const auto a = item.cast<py::array>();
  if (!a.dtype().is(py::dtype::of<std::uint8_t>()))
    throw InvalidArgument(std::string(who) + ": the image has dtype " + py::str(a.dtype()).cast<std::string>() +
                          "; expected uint8 (as numpy.asarray of a PIL image gives)");
  if (a.ndim() != 2 && a.ndim() != 3)
    throw InvalidArgument(std::string(who) + ": the image has " + std::to_string(a.ndim()) +
                          " dimensions; expected height x width (grey) or height x width x channels");
  if (!(a.flags() & py::array::c_style))
    throw InvalidArgument(std::string(who) + ": the image array is not C-contiguous (use numpy.ascontiguousarray)");
  Image image;
  image.height = static_cast<std::size_t>(a.shape(0));
  image.width = static_cast<std::size_t>(a.shape(1));
  image.channels = a.ndim() == 2 ? 1 : static_cast<int>(a.shape(2));
  if (image.channels < 1 || image.channels > 4)
    throw InvalidArgument(std::string(who) + ": the image has " + std::to_string(image.channels) +
                          " channels; expected 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA)");
  const auto* p = static_cast<const std::uint8_t*>(a.data());
  image.pixels.assign(p, p + a.nbytes());
  return image;
}

py::array_t<std::uint8_t> to_array(const Image& image) {
  const auto c = static_cast<std::size_t>(image.channels);
  py::array_t<std::uint8_t> out = c == 1 ? py::array_t<std::uint8_t>({image.height, image.width})
                                         : py::array_t<std::uint8_t>({image.height, image.width, c});
  std::memcpy(out.mutable_data(), image.pixels.data(), image.pixels.size());
  return out;
}

py::array_t<float> chw(std::vector<float>&& values, std::size_t height, std::size_t width) {
  py::array_t<float> out({std::size_t{3}, height, width});
  std::memcpy(out.mutable_data(), values.data(), values.size() * sizeof(float));
  return out;
}

py::array_t<std::uint8_t> resize_image(const py::object& item, std::pair<std::size_t, std::size_t> size,
                                       int resample) {
  const Image image = to_image(item, "resize_image");
  Image out;
  {
    py::gil_scoped_release nogil;
    out = resize(image, size.first, size.second, static_cast<Resample>(resample));
  }
  return to_array(out);
}

py::array_t<float> clip_pixels(const py::object& item, const ClipPreprocessConfig& config) {
  const Image image = to_image(item, "preprocess_clip");
  std::vector<float> values;
  std::array<std::size_t, 2> hw;
  {
    py::gil_scoped_release nogil;
    values = preprocess_clip(image, config);
    hw = image::clip_output_size(image.height, image.width, config);
  }
  return chw(std::move(values), hw[0], hw[1]);
}

py::array_t<float> timm_pixels(const py::object& item, const TimmPreprocessConfig& config) {
  const Image image = to_image(item, "preprocess_timm");
  std::vector<float> values;
  {
    py::gil_scoped_release nogil;
    values = preprocess_timm(image, config);
  }
  return chw(std::move(values), static_cast<std::size_t>(config.input_height),
             static_cast<std::size_t>(config.input_width));
}

}  // namespace

void register_preprocess(py::module_& m) {
  m.def("resize_image", &resize_image, py::arg("image"), py::arg("size"), py::arg("resample") = 3,
        R"pbdoc(Pillow's Image.resize, bit for bit, of a uint8 array height x width [x channels]
(1 grey, 2 grey+alpha, 3 RGB, 4 RGBA) or an image file.

Arguments:
  image: a path or a C-contiguous uint8 array.
  size: (width, height), as Pillow takes it.
  resample: Pillow's filter number: 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic
    (the default), 4 box, 5 hamming.)pbdoc");

  py::class_<ClipPreprocessConfig>(m, "ClipPreprocessConfig",
                                   "transformers' CLIPImageProcessor settings; defaults: openai/clip-vit-base-patch32.")
      .def(py::init<>())
      .def_static("from_file", &read_clip_preprocess_config, py::arg("path"),
                  "Reads a preprocessor_config.json (ModelLoadError naming the file and key when malformed).")
      .def_readwrite("do_resize", &ClipPreprocessConfig::do_resize)
      .def_readwrite("shortest_edge", &ClipPreprocessConfig::shortest_edge)
      .def_readwrite("resize_height", &ClipPreprocessConfig::resize_height)
      .def_readwrite("resize_width", &ClipPreprocessConfig::resize_width)
      .def_property(
          "resample", [](const ClipPreprocessConfig& c) { return static_cast<int>(c.resample); },
          [](ClipPreprocessConfig& c, int r) { c.resample = static_cast<Resample>(r); })
      .def_readwrite("do_center_crop", &ClipPreprocessConfig::do_center_crop)
      .def_readwrite("crop_height", &ClipPreprocessConfig::crop_height)
      .def_readwrite("crop_width", &ClipPreprocessConfig::crop_width)
      .def_readwrite("do_rescale", &ClipPreprocessConfig::do_rescale)
      .def_readwrite("rescale_factor", &ClipPreprocessConfig::rescale_factor)
      .def_readwrite("do_normalize", &ClipPreprocessConfig::do_normalize)
      .def_readwrite("image_mean", &ClipPreprocessConfig::image_mean)
      .def_readwrite("image_std", &ClipPreprocessConfig::image_std)
      .def_readwrite("do_convert_rgb", &ClipPreprocessConfig::do_convert_rgb);
  m.def("preprocess_clip", &clip_pixels, py::arg("image"), py::arg("config") = ClipPreprocessConfig(),
        R"pbdoc(CLIPImageProcessor's pixel_values for one image (its Pillow backend, which
transformers 5 uses without torchvision): float32 3 x H x W, channels first.

Arguments:
  image: a path or a C-contiguous uint8 array height x width [x channels];
    alpha is composited onto white, as transformers' convert_to_rgb does.
  config: a ClipPreprocessConfig (ClipPreprocessConfig.from_file(path) reads a
    preprocessor_config.json).)pbdoc");

  py::class_<TimmPreprocessConfig>(m, "TimmPreprocessConfig",
                                   "timm's eval data config; defaults: mobilenetv3_large_100.")
      .def(py::init<>())
      .def_readwrite("input_height", &TimmPreprocessConfig::input_height)
      .def_readwrite("input_width", &TimmPreprocessConfig::input_width)
      .def_readwrite("interpolation", &TimmPreprocessConfig::interpolation)
      .def_readwrite("crop_pct", &TimmPreprocessConfig::crop_pct)
      .def_readwrite("crop_mode", &TimmPreprocessConfig::crop_mode)
      .def_readwrite("mean", &TimmPreprocessConfig::mean)
      .def_readwrite("std", &TimmPreprocessConfig::std);
  m.def("preprocess_timm", &timm_pixels, py::arg("image"), py::arg("config") = TimmPreprocessConfig(),
        R"pbdoc(timm's eval transform (create_transform(**resolve_data_config(...)) on a PIL
image converted to RGB): float32 3 x H x W, channels first.

Arguments:
  image: a path or a C-contiguous uint8 array height x width [x channels]
    (alpha is dropped, as PIL's convert("RGB")).
  config: a TimmPreprocessConfig (input size, interpolation, crop_pct,
    crop_mode, mean, std from the model's pretrained_cfg).)pbdoc");
}

}  // namespace emb::py_bind
