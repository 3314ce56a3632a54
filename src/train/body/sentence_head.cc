#include "train/body/sentence_head.h"

#include <algorithm>
#include <cmath>

#include "train/body/layer_ops.h"

namespace emb::train::body {
namespace {

// torch.nn.functional.normalize's floor on the norm.
constexpr float kNormFloor = 1e-12f;

float row_norm(const float* x, std::size_t n) {
  double sq = 0.0;
  for (std::size_t j = 0; j < n; ++j) sq += static_cast<double>(x[j]) * x[j];
  return static_cast<float>(std::sqrt(sq));
}

// What sentence-transformers divides the token sum by.
float mean_divisor(nn::PoolingMode mode, std::size_t t) {
  const auto n = static_cast<float>(t);
  switch (mode) {
    case nn::PoolingMode::Mean: return n;
    case nn::PoolingMode::MeanSqrtLen: return std::sqrt(n);
    case nn::PoolingMode::WeightedMean: return static_cast<float>(t * (t + 1) / 2);   // token r weighs r + 1
    default: return 1.0f;
  }
}

std::size_t max_modes(std::span<const nn::PoolingMode> modes) {
  return static_cast<std::size_t>(std::count(modes.begin(), modes.end(), nn::PoolingMode::Max));
}

}  // namespace

void head_forward(const float* tokens, std::size_t hidden, std::span<const std::size_t> offsets,
                  std::span<const nn::PoolingMode> modes, std::span<const HeadStep> steps, HeadTape& tape,
                  Matrix& out) {
  const std::size_t sequences = offsets.size() - 1, width = modes.size() * hidden;
  tape.offsets.assign(offsets.begin(), offsets.end());
  tape.inputs.resize(steps.size() + 1);
  tape.pre_activation.resize(steps.size());
  tape.argmax.resize(sequences * max_modes(modes) * hidden);
  Matrix& pooled = tape.inputs[0];
  pooled.resize(sequences, width);
  std::uint32_t* argmax = tape.argmax.data();
  for (std::size_t i = 0; i < sequences; ++i) {
    const std::size_t t = offsets[i + 1] - offsets[i];
    const float* x = tokens + offsets[i] * hidden;
    for (std::size_t m = 0; m < modes.size(); ++m) {
      float* o = pooled.data() + i * width + m * hidden;
      switch (modes[m]) {
        case nn::PoolingMode::Cls: std::copy_n(x, hidden, o); break;
        case nn::PoolingMode::LastToken: std::copy_n(x + (t - 1) * hidden, hidden, o); break;
        case nn::PoolingMode::Max:
          // The first token holding the maximum, as the inference kernel keeps it.
          for (std::size_t c = 0; c < hidden; ++c) {
            std::size_t best = 0;
            for (std::size_t r = 1; r < t; ++r)
              if (x[r * hidden + c] > x[best * hidden + c]) best = r;
            o[c] = x[best * hidden + c];
            argmax[c] = static_cast<std::uint32_t>(best);
          }
          argmax += hidden;
          break;
        case nn::PoolingMode::Mean:
        case nn::PoolingMode::MeanSqrtLen:
        case nn::PoolingMode::WeightedMean: {
          const bool weighted = modes[m] == nn::PoolingMode::WeightedMean;
          std::fill_n(o, hidden, 0.0f);
          for (std::size_t r = 0; r < t; ++r) {
            const float w = weighted ? static_cast<float>(r + 1) : 1.0f;
            for (std::size_t c = 0; c < hidden; ++c) o[c] += x[r * hidden + c] * w;
          }
          const float d = mean_divisor(modes[m], t);
          for (std::size_t c = 0; c < hidden; ++c) o[c] /= d;
          break;
        }
      }
    }
  }
  for (std::size_t s = 0; s < steps.size(); ++s) {
    const Matrix& in = tape.inputs[s];
    Matrix& next = tape.inputs[s + 1];
    const HeadStep& step = steps[s];
    if (step.normalize) {
      next.resize(in.rows(), in.cols());
      for (std::size_t r = 0; r < in.rows(); ++r) {
        const float norm = std::max(row_norm(in.data() + r * in.cols(), in.cols()), kNormFloor);
        for (std::size_t j = 0; j < in.cols(); ++j) next(r, j) = in(r, j) / norm;
      }
      tape.pre_activation[s] = Matrix();
    } else {
      Matrix& z = tape.pre_activation[s];
      const std::size_t n_out = step.dense.out_features(), n_in = step.dense.in_features();
      z.resize(in.rows(), n_out);
      gemm(false, true, in.rows(), n_out, n_in, 1.0f, in.data(), n_in, step.dense.weight.data(), n_in, 0.0f,
           z.data(), n_out);
      if (!step.dense.bias.empty()) add_bias(z.data(), z.rows(), n_out, step.dense.bias.data());
      next.resize(in.rows(), n_out);
      activate(z.data(), z.size(), step.activation, next.data());
    }
  }
  out = tape.inputs.back();
}

void head_backward(Matrix d, std::size_t hidden, std::span<const nn::PoolingMode> modes, std::span<HeadStep> steps,
                   const HeadTape& tape, float* d_tokens) {
  Matrix d_in;
  for (std::size_t s = steps.size(); s-- > 0;) {
    const Matrix& in = tape.inputs[s];
    HeadStep& step = steps[s];
    d_in.resize(in.rows(), in.cols());
    if (step.normalize) {
      // y = x / ‖x‖: dx = (dy − y (y · dy)) / ‖x‖; below the floor the
      // divisor is a constant.
      const Matrix& y = tape.inputs[s + 1];
      for (std::size_t r = 0; r < in.rows(); ++r) {
        const float norm = row_norm(in.data() + r * in.cols(), in.cols());
        const float* dy = d.data() + r * in.cols();
        float* dx = d_in.data() + r * in.cols();
        if (norm <= kNormFloor) {
          for (std::size_t j = 0; j < in.cols(); ++j) dx[j] = dy[j] / kNormFloor;
          continue;
        }
        double dot = 0.0;
        for (std::size_t j = 0; j < in.cols(); ++j) dot += static_cast<double>(y(r, j)) * dy[j];
        const auto yd = static_cast<float>(dot);
        for (std::size_t j = 0; j < in.cols(); ++j) dx[j] = (dy[j] - y(r, j) * yd) / norm;
      }
    } else {
      const std::size_t n_out = step.dense.out_features(), n_in = step.dense.in_features();
      activation_backward(tape.pre_activation[s].data(), d.size(), step.activation, d.data());
      gemm(true, false, n_out, n_in, in.rows(), 1.0f, d.data(), n_out, in.data(), n_in, 1.0f,
           step.grad.weight.data(), n_in);
      if (!step.grad.bias.empty()) add_column_sums(d.data(), in.rows(), n_out, step.grad.bias.data());
      gemm(false, false, in.rows(), n_in, n_out, 1.0f, d.data(), n_out, step.dense.weight.data(), n_in, 0.0f,
           d_in.data(), n_in);
    }
    std::swap(d, d_in);
  }
  // d now holds d pooled (sequences × modes · hidden): spread it over the tokens.
  const auto& offsets = tape.offsets;
  const std::size_t sequences = offsets.size() - 1, width = modes.size() * hidden;
  std::fill_n(d_tokens, offsets.back() * hidden, 0.0f);
  const std::uint32_t* argmax = tape.argmax.data();
  for (std::size_t i = 0; i < sequences; ++i) {
    const std::size_t t = offsets[i + 1] - offsets[i];
    float* dx = d_tokens + offsets[i] * hidden;
    for (std::size_t m = 0; m < modes.size(); ++m) {
      const float* g = d.data() + i * width + m * hidden;
      switch (modes[m]) {
        case nn::PoolingMode::Cls:
          for (std::size_t c = 0; c < hidden; ++c) dx[c] += g[c];
          break;
        case nn::PoolingMode::LastToken:
          for (std::size_t c = 0; c < hidden; ++c) dx[(t - 1) * hidden + c] += g[c];
          break;
        case nn::PoolingMode::Max:
          for (std::size_t c = 0; c < hidden; ++c) dx[argmax[c] * hidden + c] += g[c];
          argmax += hidden;
          break;
        case nn::PoolingMode::Mean:
        case nn::PoolingMode::MeanSqrtLen:
        case nn::PoolingMode::WeightedMean: {
          const bool weighted = modes[m] == nn::PoolingMode::WeightedMean;
          const float inv = 1.0f / mean_divisor(modes[m], t);
          for (std::size_t r = 0; r < t; ++r) {
            const float w = (weighted ? static_cast<float>(r + 1) : 1.0f) * inv;
            for (std::size_t c = 0; c < hidden; ++c) dx[r * hidden + c] += g[c] * w;
          }
          break;
        }
      }
    }
  }
}

}  // namespace emb::train::body
