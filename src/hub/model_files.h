#pragma once
// Which files make up a model folder. The same walk runs over the cache (to
// see whether a snapshot is complete) and over the network (to download what
// is needed), so both always agree on the file set:
//  - sentence-transformers folders: modules.json, then each module's files
//    (Transformer, Pooling, Dense, Normalize, StaticEmbedding, any other: config.json);
//  - plain transformers and model2vec folders: config.json, tokenizer.json
//    (or vocab.txt), model.safetensors (else pytorch_model.bin) and the
//    optional tokenizer configs.
#include <filesystem>
#include <optional>
#include <string>

namespace emb::hub {

enum class Need { Required, Optional };

class FileSource {
 public:
  virtual ~FileSource() = default;
  /// Local path of `relative` (a '/'-separated path inside the repo), or nullopt
  /// when it is not available. What happens to a missing required file is up to
  /// the source (the cache notes it, the network throws).
  virtual std::optional<std::filesystem::path> get(const std::string& relative, Need need) = 0;
};

/// Asks `source` for every file the model in it needs.
void collect_model_files(FileSource& source);

}  // namespace emb::hub
