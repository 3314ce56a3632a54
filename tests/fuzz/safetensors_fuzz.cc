// model.safetensors: the 8-byte length, the JSON header, the tensor table
// (dtypes, shapes, offsets) and reading every tensor as floats.
#include "fuzz_support.h"
#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  emb::fuzz::expect_typed_errors([&] {
    const auto file = emb::io::open_safetensors_bytes(std::string(emb::fuzz::as_text(data, size)), "fuzz.safetensors");
    for (const auto& name : file.names()) {
      (void)file.info(name);
      emb::fuzz::expect_typed_errors([&] { (void)file.finite_floats(name); });
    }
  });
  return 0;
}
