#pragma once
// A 2-D convolution over oneDNN's convolution primitive (fp32, inference):
// activations channels-last (one image, height × width × channels, NHWC with
// N = 1), weights as PyTorch stores them (out × in/groups × kh × kw), an
// optional bias, then optionally the sum with what `dst` already holds (a
// residual connection) and an activation. Primitives and oneDNN's reordered
// weights are made once per input size and kept; `forward` is thread-safe.
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace emb::nn {

enum class ConvActivation { None, ReLU, ReLU6, HardSwish, SiLU };  // SiLU: x · sigmoid(x) (swish)

/// How the borders are padded:
///  - Symmetric: timm's default, PyTorch's `padding=((stride - 1) + (k - 1)) // 2` on each side;
///  - TfSame: TensorFlow's 'SAME' (timm's `pad_type="same"`): the total
///    `max((ceil(in / stride) - 1) · stride + k - in, 0)` split with the
///    smaller half first.
enum class Padding { Symmetric, TfSame };

struct Conv2dSpec {
  std::size_t in_channels = 0, out_channels = 0;
  std::size_t kernel = 1, stride = 1, groups = 1;
  Padding padding = Padding::Symmetric;
  ConvActivation activation = ConvActivation::None;
  /// Adds the convolution's result to dst's contents, before the activation
  /// (ResNet's residual sum + ReLU).
  bool accumulate = false;
};

class Conv2d {
 public:
  /// `weights`: out × in/groups × kernel × kernel; `bias`: out values (empty: none).
  Conv2d(const Conv2dSpec& spec, std::vector<float> weights, std::vector<float> bias);
  ~Conv2d();
  Conv2d(Conv2d&&) noexcept;
  Conv2d& operator=(Conv2d&&) noexcept;

  /// Output height and width for an input of `height` × `width`.
  std::pair<std::size_t, std::size_t> output_size(std::size_t height, std::size_t width) const;
  /// src: height × width × in_channels; dst: output_size() × out_channels.
  void forward(const float* src, std::size_t height, std::size_t width, float* dst) const;
  const Conv2dSpec& spec() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace emb::nn
