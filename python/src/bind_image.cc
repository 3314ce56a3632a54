// Bindings of src/image: decoding files and the colour histogram. Argument
// conversion and GIL release only; the numbers come from emb::ColorHistogram.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstring>
#include <string>

#include "embetter/error.h"
#include "embetter/image.h"

namespace emb::py_bind {
namespace py = pybind11;
namespace {

ImageReadOptions read_options(bool exif_transpose, std::uint64_t max_pixels) {
  ImageReadOptions o;
  o.exif_transpose = exif_transpose;
  o.max_pixels = max_pixels;
  return o;
}

// (height, width, channels) of a 2-D or 3-D pixel array, checked.
std::array<std::size_t, 3> pixel_shape(const py::array& a, std::size_t index) {
  const auto where = [&] { return "ColorHistogramEncoder: image " + std::to_string(index) + " "; };
  if (a.ndim() == 2) return {static_cast<std::size_t>(a.shape(0)), static_cast<std::size_t>(a.shape(1)), 1};
  if (a.ndim() != 3)
    throw InvalidArgument(where() + "has " + std::to_string(a.ndim()) +
                          " dimensions; expected height x width (grey) or height x width x channels");
  const auto c = static_cast<std::size_t>(a.shape(2));
  if (c < 1 || c > 4)
    throw InvalidArgument(where() + "has " + std::to_string(c) +
                          " channels; expected 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA)");
  return {static_cast<std::size_t>(a.shape(0)), static_cast<std::size_t>(a.shape(1)), c};
}

py::array_t<double> color_histograms(const py::sequence& items, int n_buckets, bool exif_transpose,
                                     std::uint64_t max_pixels) {
  const ColorHistogram hist(n_buckets);
  const std::size_t n = items.size(), dim = hist.dim();
  py::array_t<double> out({n, dim});
  double* rows = out.mutable_data();
  const ImageReadOptions options = read_options(exif_transpose, max_pixels);
  for (std::size_t i = 0; i < n; ++i) {
    py::object item = items[i];
    double* row = rows + i * dim;
    if (py::isinstance<py::str>(item)) {
      const std::string path = item.cast<std::string>();
      py::gil_scoped_release nogil;
      const Image image = read_image(path, options);
      hist.count(image.pixels.data(), image.pixel_count(), image.channels, row);
      continue;
    }
    if (!py::isinstance<py::array>(item))
      throw InvalidArgument("ColorHistogramEncoder: image " + std::to_string(i) +
                            " is neither a path nor a numpy array");
    const auto a = item.cast<py::array>();
    if (!(a.flags() & py::array::c_style))
      throw InvalidArgument("ColorHistogramEncoder: image " + std::to_string(i) + " is not C-contiguous");
    const auto [h, w, c] = pixel_shape(a, i);
    if (a.dtype().is(py::dtype::of<std::uint8_t>())) {
      const auto* p = static_cast<const std::uint8_t*>(a.data());
      py::gil_scoped_release nogil;
      hist.count(p, h * w, static_cast<int>(c), row);
    } else if (a.dtype().is(py::dtype::of<double>())) {
      const auto* p = static_cast<const double*>(a.data());
      py::gil_scoped_release nogil;
      hist.count(p, h * w, static_cast<int>(c), row);
    } else {
      throw InvalidArgument("ColorHistogramEncoder: image " + std::to_string(i) +
                            " has dtype " + py::str(a.dtype()).cast<std::string>() + "; expected uint8 or float64");
    }
  }
  return out;
}

py::array_t<std::uint8_t> read_image_array(const std::string& path, bool exif_transpose, std::uint64_t max_pixels) {
  Image image;
  {
    py::gil_scoped_release nogil;
    image = read_image(path, read_options(exif_transpose, max_pixels));
  }
  py::array_t<std::uint8_t> out({image.height, image.width, static_cast<std::size_t>(image.channels)});
  std::memcpy(out.mutable_data(), image.pixels.data(), image.pixels.size());
  return out;
}

}  // namespace

void register_image(py::module_& m) {
  static py::exception<ImageError> image_error(m, "ImageDecodeError", PyExc_OSError);
  // Registered after module.cc's translator, so tried before it.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ImageError& e) {
      py::set_error(image_error, e.what());
    }
  });
  m.attr("DEFAULT_MAX_IMAGE_PIXELS") = py::int_(kDefaultMaxImagePixels);
  m.def("color_histograms", &color_histograms, py::arg("images"), py::arg("n_buckets"),
        py::arg("exif_transpose") = false, py::arg("max_pixels") = kDefaultMaxImagePixels,
        R"pbdoc(Colour histograms (n, 3 * n_buckets) float64, R then G then B, as the original
ColorHistogramEncoder. Each image is a path (str; decoded in C++) or a C-contiguous
uint8/float64 array, height x width [x channels]; grey counts as R, G and B.)pbdoc");
  m.def("read_image", &read_image_array, py::arg("path"), py::arg("exif_transpose") = false,
        py::arg("max_pixels") = kDefaultMaxImagePixels,
        R"pbdoc(Decodes a JPEG, PNG or WebP file to a uint8 array height x width x channels
(1 grey, 2 grey+alpha, 3 RGB, 4 RGBA). Raises ImageDecodeError (an OSError) naming
the file when it cannot.)pbdoc");
}

}  // namespace emb::py_bind
