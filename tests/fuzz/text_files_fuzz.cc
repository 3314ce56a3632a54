// The text inputs of the CLI and the Python package: .jsonl records (text
// and label fields) and plain .txt lines, read in chunks as `encode` does.
#include "embetter/jsonl.h"
#include "fuzz_support.h"
#include "io/text_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto path = emb::fuzz::scratch_dir() / "input.txt";
  emb::fuzz::write_bytes(path, emb::fuzz::as_text(data, size));
  emb::fuzz::expect_typed_errors([&] { (void)emb::read_jsonl(path, "text", "label"); });
  emb::fuzz::expect_typed_errors([&] { (void)emb::read_lines(path); });
  emb::fuzz::expect_typed_errors([&] {
    emb::io::TextReader reader(path, "text");
    emb::JsonlColumns chunk;
    while (reader.read(3, chunk)) {
    }
  });
  return 0;
}
