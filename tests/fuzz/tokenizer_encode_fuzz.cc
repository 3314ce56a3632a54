// Arbitrary bytes as text through each fixture's tokenizer (BERT uncased and
// cased WordPiece, RoBERTa byte-level BPE, MPNet), with and without special
// tokens and with truncation. The first byte picks the tokenizer; invalid
// UTF-8 must be an InvalidArgument, nothing else.
#include <vector>

#include "embetter/tokenizer.h"
#include "fuzz_support.h"

namespace {

std::vector<emb::Tokenizer> load_tokenizers() {
  std::vector<emb::Tokenizer> all;
  for (const char* name : {"tiny-bert", "tiny-bert-cased-cls", "tiny-roberta", "tiny-mpnet"}) {
    const auto file = emb::fuzz::shared_dir() / "fixtures/sbert" / name / "tokenizer.json";
    all.push_back(emb::Tokenizer::from_file(file));
    auto truncated = emb::Tokenizer::from_file(file);
    truncated.set_truncation(7);
    all.push_back(std::move(truncated));
  }
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<emb::Tokenizer> tokenizers = load_tokenizers();
  if (size == 0) return 0;
  const auto& tokenizer = tokenizers[data[0] % tokenizers.size()];
  const auto text = emb::fuzz::as_text(data + 1, size - 1);
  emb::fuzz::expect_typed_errors([&] {
    const auto with = tokenizer.encode(text);
    const auto without = tokenizer.encode(text, false);
    if (with.ids.size() != with.tokens.size() || with.ids.size() != with.type_ids.size() ||
        with.ids.size() != with.special_tokens_mask.size() || without.ids.size() > with.ids.size() + 7) {
      std::fprintf(stderr, "fuzz: inconsistent encoding (%zu ids, %zu tokens)\n", with.ids.size(),
                   with.tokens.size());
      std::abort();
    }
    for (const auto id : with.ids)
      if (id < 0 || static_cast<std::size_t>(id) >= tokenizer.vocab_size()) {
        std::fprintf(stderr, "fuzz: id %d outside the vocabulary of %zu\n", id, tokenizer.vocab_size());
        std::abort();
      }
  });
  return 0;
}
