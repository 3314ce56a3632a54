#pragma once
// The model of `embetter encode`: a sentence-transformers model (texts), a
// CLIP model (texts or images into one space) or a timm model (images), told
// apart by its folder's files as each loader recognises them, loaded behind
// one interface that encodes a chunk of texts or image paths.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "embetter/matrix.h"
#include "embetter/progress.h"

namespace emb::cli {

/// encode's options (cmd_encode.cc parses them).
struct EncodeOptions {
  std::string model, in, text_field = "text", out;
  std::vector<std::string> images;
  int batch_size = 32;
  std::string precision = "fp32";
  std::size_t chunk_size = 4096;
  bool normalize = false;
};

/// What is encoded: texts (--in) or image files (--images).
enum class Input { Texts, Images };

/// A loaded model as encode uses it: a chunk of texts or image paths in, its rows out.
struct ChunkEncoder {
  std::function<Matrix(const std::vector<std::string>&)> encode;
  std::size_t dim = 0;
  std::string path;
};

/// Loads --model for `input`. A model that cannot take it (texts for a timm
/// model, images for a text model, int8 or --normalize for timm) is refused
/// before it loads; errors of the model's files name --model. All are
/// InvalidArgument (exit 2).
ChunkEncoder load_encoder(const EncodeOptions& o, Input input, const ProgressFn& progress);

}  // namespace emb::cli
