// Images: format sniffing, the JPEG, PNG and WebP decoders behind it (the
// libraries' input handed over by our wrappers, their errors turned into
// ImageError), our EXIF reader and the orientation it applies, and the
// conversion to RGB. The pixel limit is lowered so that a header announcing
// a huge image is refused quickly, as a user's max_pixels would.
#include "embetter/image.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  emb::ImageReadOptions options;
  options.exif_transpose = true;
  options.max_pixels = std::uint64_t{1} << 20;
  emb::fuzz::expect_typed_errors([&] {
    const emb::Image image = emb::decode_image({data, size}, options, "fuzz-input");
    // A decoded image must be whole: its pixels fill width × height × channels.
    if (image.pixels.size() != image.pixel_count() * static_cast<std::size_t>(image.channels)) std::abort();
    (void)emb::to_rgb(image);
  });
  return 0;
}
