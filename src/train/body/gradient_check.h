#pragma once
// One forward and backward of a sentence-transformers folder's trainable
// body, with every tensor's gradient copied out: what the Python binding
// (python/src/bind_body.cc) hands the PyTorch comparison
// (tests/python/test_body_gradients.py). Standard library and embetter/
// headers only, so that the binding can include it by path.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "embetter/matrix.h"

namespace emb::train::body {

/// A ParameterRef's address and flags with copies of its values and gradient.
struct TensorGradient {
  std::string file, name;
  std::vector<std::int64_t> shape;
  std::size_t offset = 0;
  std::vector<float> values, grad;
  bool decay = true;
};

/// Training-mode dropout for the check: a seed, and the probabilities
/// (nullopt: the model's config.json values).
struct DropoutChoice {
  std::uint64_t seed = 0;
  std::optional<float> hidden, attention;
};

struct BodyGradients {
  Matrix embeddings;
  std::vector<TensorGradient> tensors;
};

/// SentenceBody::load(folder), forward over `token_ids` (dropout off when
/// null), backward from d_embeddings. Errors as SentenceBody's.
BodyGradients body_gradients(const std::filesystem::path& folder,
                             std::span<const std::vector<std::int32_t>> token_ids, const Matrix& d_embeddings,
                             const DropoutChoice* dropout);

/// The folder's trainable tensors with zero gradients, without a forward pass.
std::vector<TensorGradient> body_tensors(const std::filesystem::path& folder);

}  // namespace emb::train::body
