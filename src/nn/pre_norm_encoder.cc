#include "nn/pre_norm_encoder.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "embetter/error.h"

namespace emb::nn {
namespace {

void check_linear(const Linear& l, std::size_t out, std::size_t in, const char* what) {
  EMB_CHECK(l.weight.rows() == out && l.weight.cols() == in, "PreNormEncoder: ", what, " is ", l.weight.rows(), "x",
            l.weight.cols(), ", expected ", out, "x", in);
  EMB_CHECK(l.bias.size() == out, "PreNormEncoder: ", what, " bias has ", l.bias.size(), " values, expected ", out);
}
void check_norm(const LayerNormWeights& n, std::size_t h, const char* what) {
  EMB_CHECK(n.gamma.size() == h && n.beta.size() == h, "PreNormEncoder: ", what, " has ", n.gamma.size(),
            " weights and ", n.beta.size(), " biases, expected ", h);
}

// The residual connection on each finished block of a product's rows, while
// it is in cache: x = x + y (y already holds the product plus its bias), as
// CLIPEncoderLayer's `residual + hidden_states`.
struct ResidualHook {
  float* x;
  const float* y;
  std::size_t cols;
  static void run(void* self, std::size_t begin, std::size_t end) {
    const auto& h = *static_cast<ResidualHook*>(self);
    kernels::add(h.x + begin * h.cols, h.y + begin * h.cols, (end - begin) * h.cols);
  }
};

}  // namespace

PreNormEncoder::PreNormEncoder(PreNormEncoderConfig config, std::vector<PreNormLayerWeights> layers)
    : config_(config) {
  const auto& c = config_;
  const std::size_t h = c.hidden_size;
  EMB_CHECK(h > 0 && c.num_heads > 0 && h % c.num_heads == 0, "PreNormEncoder: hidden size ", h,
            " is not a multiple of the number of heads ", c.num_heads);
  EMB_CHECK(layers.size() == c.num_layers, "PreNormEncoder: ", layers.size(), " layers given, config says ",
            c.num_layers);
  // All of them in one arena (huge pages; see PackedArena).
  std::size_t packed_bytes = 0;
  for (const auto& l : layers)
    for (const Linear* lin : {&l.qkv, &l.attention_output, &l.fc1, &l.fc2})
      packed_bytes += PackedWeights::bytes_for(lin->out_features(), lin->in_features());
  std::optional<PackedArena> arena;
  if (c.precision != Precision::Int8) arena.emplace(packed_bytes);
  layers_.reserve(layers.size());
  for (auto& l : layers) {
    check_norm(l.norm1, h, "layer_norm1");
    check_linear(l.qkv, 3 * h, h, "query/key/value projection");
    check_linear(l.attention_output, h, h, "attention output");
    check_norm(l.norm2, h, "layer_norm2");
    check_linear(l.fc1, c.intermediate_size, h, "fc1");
    check_linear(l.fc2, h, c.intermediate_size, "fc2");
    auto pack = [&](Linear& lin) {
      Product p;
      if (c.precision == Precision::Int8)
        p.i8 = QuantizedWeights(lin.weight.data(), lin.out_features(), lin.in_features());
      else
        p.f32 = PackedWeights(lin.weight.data(), lin.out_features(), lin.in_features(), *arena);
      return p;
    };
    Layer packed;
    packed.norm1 = std::move(l.norm1);
    packed.norm2 = std::move(l.norm2);
    packed.qkv = pack(l.qkv);
    packed.attention_output = pack(l.attention_output);
    packed.fc1 = pack(l.fc1);
    packed.fc2 = pack(l.fc2);
    packed.qkv_bias = std::move(l.qkv.bias);
    packed.attention_output_bias = std::move(l.attention_output.bias);
    packed.fc1_bias = std::move(l.fc1.bias);
    packed.fc2_bias = std::move(l.fc2.bias);
    layers_.push_back(std::move(packed));
  }
}

void PreNormEncoder::Product::run(const float* x, std::size_t ldx, std::size_t m, float* y, std::size_t ldy,
                                  const Epilogue& epilogue, RowBlockHook hook) const {
  if (i8.n() > 0)
    gemm_quantized(x, ldx, m, i8, y, ldy, epilogue, hook);
  else
    gemm_packed(x, ldx, m, f32, y, ldy, epilogue, hook);
}

void PreNormEncoder::forward(Matrix& x, std::span<const std::size_t> offsets, Workspace& ws) const {
  const auto& c = config_;
  const std::size_t h = c.hidden_size, inter = c.intermediate_size, heads = c.num_heads;
  EMB_CHECK(x.cols() == h, "PreNormEncoder: hidden states have ", x.cols(), " columns, the model ", h);
  EMB_CHECK(offsets.size() >= 1 && offsets.front() == 0 && offsets.back() == x.rows(),
            "PreNormEncoder: sequence offsets must run from 0 to the ", x.rows(), " rows");
  for (std::size_t i = 0; i + 1 < offsets.size(); ++i)
    EMB_CHECK(offsets[i] < offsets[i + 1], "PreNormEncoder: sequence ", i, " is empty");
  const std::size_t rows = x.rows();
  if (rows == 0) return;
  ws.normed.resize(rows, h);
  ws.qkv.resize(rows, 3 * h);
  ws.context.resize(rows, h);
  ws.projected.resize(rows, h);
  ws.intermediate.resize(rows, inter);
  auto causal_mask = [&](std::size_t t) -> const float* {
    if (!c.causal) return nullptr;
    // heads × t × t: 0 on and below the diagonal, −∞ above (transformers'
    // causal mask; each query keeps its own score, so no row is all −∞).
    // Kept while the next sequence has the same length.
    if (ws.mask.rows() != heads || ws.mask.cols() != t * t) {
      ws.mask.resize(heads, t * t);
      for (std::size_t hd = 0; hd < heads; ++hd)
        for (std::size_t q = 0; q < t; ++q)
          for (std::size_t k = 0; k < t; ++k) ws.mask(hd, q * t + k) = k <= q ? 0.0f : -INFINITY;
    }
    return ws.mask.data();
  };
  for (const Layer& layer : layers_) {
    std::copy_n(x.data(), rows * h, ws.normed.data());
    kernels::layer_norm(ws.normed.data(), rows, h, layer.norm1.gamma.data(), layer.norm1.beta.data(),
                        c.layer_norm_eps);
    layer.qkv.run(ws.normed.data(), h, rows, ws.qkv.data(), 3 * h, Epilogue{layer.qkv_bias.data()});
    for (std::size_t i = 0; i + 1 < offsets.size(); ++i) {
      const std::size_t first = offsets[i], t = offsets[i + 1] - first;
      self_attention(ws.qkv.data() + first * 3 * h, t, heads, h, causal_mask(t), ws.scores,
                     ws.context.data() + first * h);
    }
    ResidualHook attention_residual{x.data(), ws.projected.data(), h};
    layer.attention_output.run(ws.context.data(), h, rows, ws.projected.data(), h,
                               Epilogue{layer.attention_output_bias.data()},
                               {&ResidualHook::run, &attention_residual});
    std::copy_n(x.data(), rows * h, ws.normed.data());
    kernels::layer_norm(ws.normed.data(), rows, h, layer.norm2.gamma.data(), layer.norm2.beta.data(),
                        c.layer_norm_eps);
    layer.fc1.run(ws.normed.data(), h, rows, ws.intermediate.data(), inter,
                  Epilogue{layer.fc1_bias.data(), c.activation});
    ResidualHook mlp_residual{x.data(), ws.projected.data(), h};
    layer.fc2.run(ws.intermediate.data(), inter, rows, ws.projected.data(), h, Epilogue{layer.fc2_bias.data()},
                  {&ResidualHook::run, &mlp_residual});
  }
}

}  // namespace emb::nn
