// JPEG through libjpeg(-turbo)'s classic API. libjpeg reports errors by
// calling error_exit, whose default calls exit(): ours longjmps back into
// run(), a function that holds no C++ object with a destructor (so the jump
// skips none); the job lives in the caller, which throws.
#include <csetjmp>
#include <cstdio>
#include <cstring>
// clang-format off
#include <jpeglib.h>
#include <jerror.h>
// clang-format on

#include "decoders.h"

namespace emb::image {
namespace {

struct JpegJob {
  jpeg_decompress_struct cinfo{};
  jpeg_error_mgr err{};
  std::jmp_buf jump{};
  char message[JMSG_LENGTH_MAX + 64] = {};
  bool created = false;
  std::span<const std::uint8_t> bytes;
  const ImageReadOptions* options = nullptr;
  Decoded* out = nullptr;
  std::string* size_error = nullptr;
};

[[noreturn]] void on_error(j_common_ptr cinfo) {
  auto* job = reinterpret_cast<JpegJob*>(cinfo->client_data);
  (*cinfo->err->format_message)(cinfo, job->message);
  std::longjmp(job->jump, 1);
}

// Warnings are ignored as Pillow ignores them (corrupt-data warnings still
// give an image), except a premature end of file: Pillow calls that a
// truncated image and so do we.
void on_message(j_common_ptr cinfo, int level) {
  if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
    auto* job = reinterpret_cast<JpegJob*>(cinfo->client_data);
    std::snprintf(job->message, sizeof job->message, "the file is truncated (premature end of JPEG data)");
    std::longjmp(job->jump, 1);
  }
}

// Pillow's CMYK → RGB (Convert.c cmyk2rgb), after undoing Adobe's inversion.
inline std::uint8_t cmyk_channel(int c, int k) {
  const int nk = 255 - k;
  int tmp = c * nk + 128;
  tmp = ((tmp >> 8) + tmp) >> 8;
  const int v = nk - tmp;
  return static_cast<std::uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

// Returns false after a libjpeg error (message in job->message) or a refused size.
bool run(JpegJob* job) {
  j_decompress_ptr cinfo = &job->cinfo;
  if (setjmp(job->jump)) return false;
  jpeg_create_decompress(cinfo);
  job->created = true;
  cinfo->client_data = job;
  jpeg_mem_src(cinfo, job->bytes.data(), static_cast<unsigned long>(job->bytes.size()));
  jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(cinfo, TRUE);
  *job->size_error = size_problem(cinfo->image_width, cinfo->image_height, *job->options);
  if (!job->size_error->empty()) return false;
  for (jpeg_saved_marker_ptr m = cinfo->marker_list; m != nullptr; m = m->next) {
    if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 && std::memcmp(m->data, "Exif\0\0", 6) == 0) {
      job->out->exif.assign(m->data, m->data + m->data_length);  // Pillow keeps the first one
      break;
    }
  }
  const bool cmyk = cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK;
  const bool grey = cinfo->jpeg_color_space == JCS_GRAYSCALE;
  cinfo->out_color_space = grey ? JCS_GRAYSCALE : cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_start_decompress(cinfo);
  Image& img = job->out->image;
  img.width = cinfo->output_width;
  img.height = cinfo->output_height;
  img.channels = grey ? 1 : 3;
  const std::size_t in_stride = img.width * static_cast<std::size_t>(cinfo->output_components);
  const std::size_t out_stride = img.width * static_cast<std::size_t>(img.channels);
  img.pixels.resize(out_stride * img.height);
  if (!cmyk) {
    while (cinfo->output_scanline < cinfo->output_height) {
      JSAMPROW row = img.pixels.data() + out_stride * cinfo->output_scanline;
      jpeg_read_scanlines(cinfo, &row, 1);
    }
  } else {
    // One CMYK row at a time, kept in libjpeg's own pool (freed with cinfo).
    JSAMPARRAY buf = (*cinfo->mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(cinfo), JPOOL_IMAGE,
                                                 static_cast<JDIMENSION>(in_stride), 1);
    const bool inverted = cinfo->saw_Adobe_marker;  // Adobe writes CMYK inverted
    while (cinfo->output_scanline < cinfo->output_height) {
      std::uint8_t* dst = img.pixels.data() + out_stride * cinfo->output_scanline;
      jpeg_read_scanlines(cinfo, buf, 1);
      const std::uint8_t* s = buf[0];
      for (std::size_t x = 0; x < img.width; ++x, s += 4, dst += 3) {
        int c = s[0], m = s[1], y = s[2], k = s[3];
        if (inverted) c = 255 - c, m = 255 - m, y = 255 - y, k = 255 - k;
        dst[0] = cmyk_channel(c, k), dst[1] = cmyk_channel(m, k), dst[2] = cmyk_channel(y, k);
      }
    }
  }
  jpeg_finish_decompress(cinfo);
  return true;
}

}  // namespace

Decoded decode_jpeg(std::span<const std::uint8_t> bytes, const ImageReadOptions& options, std::string_view name) {
  Decoded out;
  std::string size_error;
  JpegJob job;
  job.cinfo.err = jpeg_std_error(&job.err);
  job.err.error_exit = on_error;
  job.err.emit_message = on_message;
  job.bytes = bytes;
  job.options = &options;
  job.out = &out;
  job.size_error = &size_error;
  bool ok = false;
  try {
    ok = run(&job);
  } catch (...) {  // std::bad_alloc from the pixel buffer
    if (job.created) jpeg_destroy_decompress(&job.cinfo);
    throw;
  }
  if (job.created) jpeg_destroy_decompress(&job.cinfo);
  if (!size_error.empty()) fail(name, "JPEG", size_error);
  if (!ok) fail(name, "JPEG", std::string("corrupt or unreadable (") + job.message + ")");
  return out;
}

}  // namespace emb::image
