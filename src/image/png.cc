// PNG through libpng. As for JPEG, libpng's errors longjmp back into run(),
// which holds no C++ object with a destructor; warnings are dropped.
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>

#include "decoders.h"

namespace emb::image {
namespace {

struct PngJob {
  png_structp png = nullptr;
  png_infop info = nullptr;
  char message[256] = {};
  std::span<const std::uint8_t> bytes;
  std::size_t pos = 0;
  bool pixels_done = false;
  const ImageReadOptions* options = nullptr;
  Decoded* out = nullptr;
  std::string* size_error = nullptr;
  std::vector<png_bytep>* rows = nullptr;
};

[[noreturn]] void on_error(png_structp png, png_const_charp msg) {
  auto* job = static_cast<PngJob*>(png_get_error_ptr(png));
  std::snprintf(job->message, sizeof job->message, "%s", msg);
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}

void on_read(png_structp png, png_bytep data, png_size_t length) {
  auto* job = static_cast<PngJob*>(png_get_io_ptr(png));
  if (job->bytes.size() - job->pos < length) png_error(png, "the file is truncated");
  std::memcpy(data, job->bytes.data() + job->pos, length);
  job->pos += length;
}

void take_exif(PngJob* job) {
#ifdef PNG_eXIf_SUPPORTED
  png_uint_32 n = 0;
  png_bytep exif = nullptr;
  if (job->out->exif.empty() && png_get_eXIf_1(job->png, job->info, &n, &exif) != 0 && exif != nullptr)
    job->out->exif.assign(exif, exif + n);
#endif
}

bool run(PngJob* job) {
  png_structp png = job->png;
  png_infop info = job->info;
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_read_fn(png, job, on_read);
  png_read_info(png, info);
  png_uint_32 width = 0, height = 0;
  int depth = 0, color = 0, interlace = 0;
  png_get_IHDR(png, info, &width, &height, &depth, &color, &interlace, nullptr, nullptr);
  *job->size_error = size_problem(width, height, *job->options);
  if (!job->size_error->empty()) return false;
  take_exif(job);
  // Palettes and low bit depths to 8 bits, tRNS to an alpha channel, 16 bits
  // to their high byte (as Pillow's RGB;16B and RGBA;16B unpackers).
  png_set_expand(png);
  png_set_strip_16(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  Image& img = job->out->image;
  img.width = width;
  img.height = height;
  img.channels = png_get_channels(png, info);
  const std::size_t stride = png_get_rowbytes(png, info);
  if (img.channels < 1 || img.channels > 4 || stride != img.width * static_cast<std::size_t>(img.channels))
    png_error(png, "unexpected pixel layout after expansion");
  img.pixels.resize(stride * img.height);
  job->rows->resize(img.height);
  for (std::size_t y = 0; y < img.height; ++y) (*job->rows)[y] = img.pixels.data() + y * stride;
  png_read_image(png, job->rows->data());
  job->pixels_done = true;
  png_read_end(png, info);  // chunks after the pixels, eXIf among them
  take_exif(job);
  return true;
}

}  // namespace

Decoded decode_png(std::span<const std::uint8_t> bytes, const ImageReadOptions& options, std::string_view name) {
  Decoded out;
  std::string size_error;
  std::vector<png_bytep> rows;
  PngJob job;
  job.bytes = bytes;
  job.options = &options;
  job.out = &out;
  job.size_error = &size_error;
  job.rows = &rows;
  job.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job, on_error, on_warning);
  if (job.png != nullptr) job.info = png_create_info_struct(job.png);
  if (job.png == nullptr || job.info == nullptr) {
    png_destroy_read_struct(&job.png, &job.info, nullptr);
    fail(name, "PNG", "libpng could not start (out of memory)");
  }
  png_set_crc_action(job.png, PNG_CRC_DEFAULT, PNG_CRC_WARN_DISCARD);
  bool ok = false;
  try {
    ok = run(&job);
  } catch (...) {
    png_destroy_read_struct(&job.png, &job.info, nullptr);
    throw;
  }
  png_destroy_read_struct(&job.png, &job.info, nullptr);
  if (!size_error.empty()) fail(name, "PNG", size_error);
  // An error after every pixel was read (a missing IEND, a bad chunk after the
  // image data) still leaves a complete image, as Pillow sees it.
  if (!ok && !job.pixels_done) fail(name, "PNG", std::string("corrupt or unreadable (") + job.message + ")");
  return out;
}

}  // namespace emb::image
