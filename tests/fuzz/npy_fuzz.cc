// .npy: the magic, the version, the header dictionary and the data size.
#include "embetter/npy.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto path = emb::fuzz::scratch_dir() / "input.npy";
  emb::fuzz::write_bytes(path, emb::fuzz::as_text(data, size));
  emb::fuzz::expect_typed_errors([&] { (void)emb::read_npy(path); });
  return 0;
}
