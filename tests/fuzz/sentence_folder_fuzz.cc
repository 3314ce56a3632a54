// A sentence-transformers folder: config.json (every model family's keys),
// modules.json, the Pooling and Dense configs, sentence_bert_config.json and
// model.safetensors against the rest of the folder; a folder that loads must
// encode.
#include "embetter/sentence_encoder.h"
#include "folder_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The order of make_corpus.py's SBERT_FILES.
  static emb::fuzz::FolderTarget target("tiny-sbert", {"config.json", "modules.json", "1_Pooling/config.json",
                                                       "sentence_bert_config.json", "2_Dense/config.json",
                                                       "model.safetensors"});
  target.run(data, size, [&] {
    // One thread: starting encode's workers would cost more than the load.
    const auto encoder = emb::SentenceEncoder::load(target.folder().string(), {.num_threads = 1});
    (void)encoder.encode({"hello world", "the cats sat on a mat, the mat sat on the cat.", ""});
  });
  return 0;
}
