// word2vec binary vectors (BPEmb's .w2v.bin): the "<count> <dim>" header,
// then a word and dim float32 per entry.
#include "encoders/word2vec_binary.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto path = emb::fuzz::scratch_dir() / "vectors.bin";
  emb::fuzz::write_bytes(path, emb::fuzz::as_text(data, size));
  emb::fuzz::expect_typed_errors([&] { (void)emb::encoders::read_word2vec_binary(path); });
  return 0;
}
