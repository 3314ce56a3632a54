// A model2vec folder: config.json, tokenizer.json (read twice: by the
// tokenizer and for the vocabulary's token lengths) and model.safetensors
// (embeddings, weights, mapping); a folder that loads must encode.
#include "embetter/static_encoders.h"
#include "folder_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The order of make_corpus.py's MODEL2VEC_FILES.
  static emb::fuzz::FolderTarget target("tiny-model2vec", {"config.json", "tokenizer.json", "model.safetensors"});
  target.run(data, size, [&] {
    const auto encoder = emb::TextEncoder::load(target.folder().string());
    (void)encoder.encode({"hello world", "the cats sat on a mat", ""});
  });
  return 0;
}
