#include "nn/ops.h"

#include <cmath>

#include "core/eigen.h"
#include "embetter/error.h"

namespace emb::nn {
namespace {
using StridedMap = Eigen::Map<RowMatrixXf, 0, Eigen::OuterStride<>>;
using ConstStridedMap = Eigen::Map<const RowMatrixXf, 0, Eigen::OuterStride<>>;
}  // namespace

void linear(const Matrix& x, const Linear& layer, Activation act, Matrix& y) {
  EMB_CHECK(x.cols() == layer.in_features(), "linear: input has ", x.cols(), " columns, the layer expects ",
            layer.in_features());
  EMB_CHECK(layer.bias.empty() || layer.bias.size() == layer.out_features(), "linear: bias has ",
            layer.bias.size(), " values for ", layer.out_features(), " outputs");
  y.resize(x.rows(), layer.out_features());
  if (x.rows() == 0) return;
  as_eigen(y).noalias() = as_eigen(x) * as_eigen(layer.weight).transpose();
  kernels::bias_activation(y.data(), y.rows(), y.cols(), layer.bias.empty() ? nullptr : layer.bias.data(), act);
}

void layer_norm(Matrix& x, const LayerNormWeights& norm, float eps) {
  EMB_CHECK(norm.gamma.size() == x.cols() && norm.beta.size() == x.cols(), "layer_norm: ", norm.gamma.size(),
            " weights and ", norm.beta.size(), " biases for rows of width ", x.cols());
  kernels::layer_norm(x.data(), x.rows(), x.cols(), norm.gamma.data(), norm.beta.data(), eps);
}

void add_inplace(Matrix& y, const Matrix& x) {
  EMB_CHECK(y.rows() == x.rows() && y.cols() == x.cols(), "add_inplace: shapes ", y.rows(), "x", y.cols(), " and ",
            x.rows(), "x", x.cols(), " differ");
  kernels::add(y.data(), x.data(), y.size());
}

void self_attention(const Matrix& qkv, std::size_t heads, const float* position_bias, Matrix& scores,
                    Matrix& context) {
  EMB_CHECK(heads > 0 && qkv.cols() % (3 * heads) == 0, "self_attention: ", qkv.cols(),
            " projection columns do not split into query, key and value for ", heads, " heads");
  context.resize(qkv.rows(), qkv.cols() / 3);
  self_attention(qkv.data(), qkv.rows(), heads, qkv.cols() / 3, position_bias, scores, context.data());
}

void self_attention(const float* qkv, std::size_t t, std::size_t heads, std::size_t hidden,
                    const float* position_bias, Matrix& scores, float* context) {
  const auto n = static_cast<Eigen::Index>(t);
  const auto dh = static_cast<Eigen::Index>(hidden / heads);
  const auto ld = static_cast<Eigen::Index>(3 * hidden);
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  if (t == 0) return;
  if (kernels::attention_head_supported(static_cast<std::size_t>(dh))) {
    scores.resize(1, kernels::attention_scratch_floats(t, static_cast<std::size_t>(dh)));
    for (std::size_t h = 0; h < heads; ++h) {
      const std::size_t o = h * static_cast<std::size_t>(dh);
      kernels::attention_head(qkv + o, qkv + hidden + o, qkv + 2 * hidden + o, 3 * hidden, t,
                              static_cast<std::size_t>(dh), scale, position_bias ? position_bias + h * t * t : nullptr,
                              scores.data(), context + o, hidden);
    }
    return;
  }
  scores.resize(t, t);
  auto s = as_eigen(scores);
  for (Eigen::Index h = 0; h < static_cast<Eigen::Index>(heads); ++h) {
    ConstStridedMap q(qkv + h * dh, n, dh, Eigen::OuterStride<>(ld));
    ConstStridedMap k(qkv + hidden + h * dh, n, dh, Eigen::OuterStride<>(ld));
    ConstStridedMap v(qkv + 2 * hidden + h * dh, n, dh, Eigen::OuterStride<>(ld));
    s.noalias() = q * k.transpose();
    s *= scale;
    if (position_bias) kernels::add(scores.data(), position_bias + h * n * n, t * t);
    kernels::softmax_rows(scores.data(), t, t, t);
    StridedMap c(context + h * dh, n, dh, Eigen::OuterStride<>(static_cast<Eigen::Index>(hidden)));
    c.noalias() = s * v;
  }
}

}  // namespace emb::nn
