#pragma once
// Named, shape-checked access to a model's weights in a safetensors file or
// a torch.save checkpoint (pytorch_model.bin, io/torch_checkpoint.h)
// (STYLE.md convention 9: every weight is fetched by name and its shape
// checked at load). Errors are ModelLoadError naming the file, the tensor and
// the expected shape.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "embetter/matrix.h"

namespace emb::nn {

class WeightReader {
 public:
  /// model.safetensors, or pytorch_model.bin (any *.bin / *.pt / *.pth: torch.save's zip format).
  explicit WeightReader(const std::filesystem::path& weights);
  ~WeightReader();
  WeightReader(WeightReader&&) noexcept;
  WeightReader& operator=(WeightReader&&) noexcept;

  /// Names are looked up as prefix + name. Picks the first prefix under which
  /// `probe` exists (checkpoints saved from e.g. BertForMaskedLM carry
  /// "bert."); ModelLoadError listing the candidates when none has it.
  void choose_prefix(std::string_view probe, std::span<const std::string> prefixes);
  const std::string& prefix() const noexcept { return prefix_; }

  bool contains(std::string_view name) const;
  /// A tensor's shape (for architectures whose widths come from the weights);
  /// ModelLoadError naming the file and the tensor when missing.
  std::vector<std::int64_t> shape(std::string_view name, std::string_view why) const;
  /// rows × cols as float32. `why` says where the expectation comes from,
  /// e.g. "config.json hidden_size=384".
  Matrix matrix(std::string_view name, std::size_t rows, std::size_t cols, std::string_view why) const;
  /// A 1-D tensor of n values as float32.
  std::vector<float> vector(std::string_view name, std::size_t n, std::string_view why) const;
  /// A tensor of any rank with exactly this shape, row-major float32 (e.g. a
  /// convolution's out × in × kh × kw kernel).
  std::vector<float> tensor(std::string_view name, const std::vector<std::int64_t>& shape, std::string_view why) const;
  const std::filesystem::path& path() const noexcept;

 private:
  struct File;
  std::unique_ptr<File> file_;
  std::string prefix_;
};

}  // namespace emb::nn
