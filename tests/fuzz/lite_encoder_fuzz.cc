// LiteTextEncoder files (safetensors: idf, components, the vocabulary and the
// parameters in the metadata), loaded and then run on a text.
#include "embetter/lite_text_encoder.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  emb::fuzz::expect_typed_errors([&] {
    const auto encoder = emb::LiteTextEncoder::from_bytes(std::string(emb::fuzz::as_text(data, size)));
    (void)encoder.transform({"the cat sat on the mat", "", "ünïcödé words"});
  });
  return 0;
}
