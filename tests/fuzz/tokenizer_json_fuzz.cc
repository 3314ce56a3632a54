// tokenizer.json: every component tree (normalizers, pre-tokenizers, models,
// post-processors, added tokens), parsed and then run on a few texts.
#include "embetter/tokenizer.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  emb::fuzz::expect_typed_errors([&] {
    auto tokenizer = emb::Tokenizer::from_json(emb::fuzz::as_text(data, size), "fuzz/tokenizer.json");
    for (const char* text : {"Hello, world! Ünïcödé ẞ 東京 🙂", "", "  a  b\t\n", "don't STOP 123.45"}) {
      (void)tokenizer.encode(text);
      (void)tokenizer.encode(text, false);
    }
    tokenizer.set_truncation(5);
    (void)tokenizer.encode("one two three four five six seven");
    (void)tokenizer.vocab_size();
    (void)tokenizer.pad_id();
  });
  return 0;
}
