#pragma once
// A trainable tensor of a sentence-transformers folder, as body finetuning
// sees it: where it lives in the checkpoint (file, name, full shape, first
// element) and the float32 values and gradient we train. The checkpoint
// address lets the gradient tests compare with PyTorch tensor by tensor and
// lets the folder writer put each tensor back where it came from.
//
// A reference may cover part of a checkpoint tensor: we keep only row 0 of
// BERT's token-type table (sentence-transformers encodes single texts), so
// its reference has the table's full shape, offset 0 and `hidden` values.
// Query, key and value are rows of one stacked matrix in memory but three
// tensors in the checkpoint, so they are three references.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace emb::train::body {

struct ParameterRef {
  /// The safetensors file, relative to the sentence-transformers folder
  /// ("model.safetensors", "2_Dense/model.safetensors").
  std::string file;
  /// The tensor's name in that file, with the checkpoint's prefix if any.
  std::string name;
  /// The checkpoint tensor's full shape.
  std::vector<std::int64_t> shape;
  /// Index of values[0] within the checkpoint tensor (row-major).
  std::size_t offset = 0;
  std::span<float> values;
  std::span<float> grad;
  /// AdamW's weight decay applies (false for biases and LayerNorm weights,
  /// as transformers' Trainer groups them).
  bool decay = true;
};

}  // namespace emb::train::body
