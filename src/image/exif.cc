// The orientation tag of an EXIF block: TIFF header, IFD0, tag 0x0112.
// Every offset is checked against the block's size.
#include <cstring>

#include "embetter/image.h"

namespace emb {

int exif_orientation(std::span<const std::uint8_t> b) {
  if (b.size() >= 6 && std::memcmp(b.data(), "Exif\0\0", 6) == 0) b = b.subspan(6);
  if (b.size() < 8) return 1;
  bool little;
  if (b[0] == 'I' && b[1] == 'I') {
    little = true;
  } else if (b[0] == 'M' && b[1] == 'M') {
    little = false;
  } else {
    return 1;
  }
  auto u16 = [&](std::size_t at) -> std::uint32_t {
    return little ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1];
  };
  auto u32 = [&](std::size_t at) -> std::uint32_t {
    return little ? u16(at) | (u16(at + 2) << 16) : (u16(at) << 16) | u16(at + 2);
  };
  if (u16(2) != 42) return 1;
  const std::size_t ifd = u32(4);
  if (ifd > b.size() || b.size() - ifd < 2) return 1;
  const std::size_t entries = u16(ifd);
  for (std::size_t i = 0; i < entries; ++i) {
    const std::size_t e = ifd + 2 + 12 * i;
    if (e > b.size() || b.size() - e < 12) return 1;
    if (u16(e) != 0x0112) continue;
    const std::uint32_t type = u16(e + 2), count = u32(e + 4);
    if (count < 1) return 1;
    std::uint32_t v = 0;
    if (type == 3) {
      v = u16(e + 8);  // SHORT
    } else if (type == 4) {
      v = u32(e + 8);  // LONG
    } else {
      return 1;
    }
    return v >= 1 && v <= 8 ? static_cast<int>(v) : 1;
  }
  return 1;
}

}  // namespace emb
