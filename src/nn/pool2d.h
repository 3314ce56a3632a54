#pragma once
// 2-D max pooling over oneDNN's pooling primitive (fp32, inference), as
// PyTorch's nn.MaxPool2d(kernel, stride, padding) with ceil_mode=False: the
// borders padded with -inf, so a window's padded cells never win. Activations
// channels-last (one image, height × width × channels), as nn::Conv2d's.
// Primitives are made once per input size and kept; `forward` is thread-safe.
#include <cstddef>
#include <memory>
#include <utility>

namespace emb::nn {

struct MaxPool2dSpec {
  std::size_t channels = 0;
  std::size_t kernel = 1, stride = 1, padding = 0;  ///< padding: on each side
};

class MaxPool2d {
 public:
  explicit MaxPool2d(const MaxPool2dSpec& spec);
  ~MaxPool2d();
  MaxPool2d(MaxPool2d&&) noexcept;
  MaxPool2d& operator=(MaxPool2d&&) noexcept;

  /// Output height and width for an input of `height` × `width`:
  /// (in + 2·padding − kernel) / stride + 1 (InvalidArgument if the padded
  /// input is smaller than the kernel).
  std::pair<std::size_t, std::size_t> output_size(std::size_t height, std::size_t width) const;
  /// src: height × width × channels; dst: output_size() × channels.
  void forward(const float* src, std::size_t height, std::size_t width, float* dst) const;
  const MaxPool2dSpec& spec() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace emb::nn
