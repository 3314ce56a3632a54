#pragma once
// Fully connected layers whose weights live in one flat parameter buffer, so that
// Adam updates every parameter of a network in a single pass. Layout per layer:
// weight [out, in] row-major (PyTorch's nn.Linear layout), then bias [out].
#include <Eigen/Dense>
#include <array>
#include <cmath>
#include <cstddef>
#include <type_traits>

#include "embetter/random.h"
#include "embetter/torch_generator.h"
#include "linalg/gemm.h"

namespace emb::train {

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MatMap = Eigen::Map<RowMat<T>>;
template <class T>
using ConstMatMap = Eigen::Map<const RowMat<T>>;
template <class T>
using RowVecMap = Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>>;
template <class T>
using ConstRowVecMap = Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>;

/// Where one layer's weight and bias sit in the flat buffer.
struct LinearSlot {
  Eigen::Index in = 0, out = 0, offset = 0;

  Eigen::Index weight_offset() const { return offset; }
  Eigen::Index bias_offset() const { return offset + in * out; }
  Eigen::Index end() const { return offset + in * out + out; }

  template <class T>
  ConstMatMap<T> weight(const T* flat) const { return {flat + weight_offset(), out, in}; }
  template <class T>
  MatMap<T> weight(T* flat) const { return {flat + weight_offset(), out, in}; }
  template <class T>
  ConstRowVecMap<T> bias(const T* flat) const { return {flat + bias_offset(), out}; }
  template <class T>
  RowVecMap<T> bias(T* flat) const { return {flat + bias_offset(), out}; }
};

/// Slots for a chain of layers sizes[0] → sizes[1] → ..., packed back to back.
template <std::size_t N>
std::array<LinearSlot, N> pack_layers(const std::array<Eigen::Index, N + 1>& sizes) {
  std::array<LinearSlot, N> slots;
  Eigen::Index offset = 0;
  for (std::size_t i = 0; i < N; ++i) {
    slots[i] = {sizes[i], sizes[i + 1], offset};
    offset = slots[i].end();
  }
  return slots;
}

/// PyTorch's nn.Linear.reset_parameters: kaiming_uniform(a=√5) for the weight and
/// U(±1/√fan_in) for the bias, which both come to U(±1/√in). Weight first, then bias.
template <class T>
void init_linear(const LinearSlot& slot, T* flat, Rng& rng) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(slot.in));
  for (Eigen::Index i = slot.weight_offset(); i < slot.end(); ++i) flat[i] = static_cast<T>(rng.uniform(-bound, bound));
}

/// The same, drawn from torch's generator as nn.Linear(in, out) does, so the
/// weights equal torch's bit for bit. kaiming_uniform_(a=√5) computes the
/// weight's bound as gain·√3/√fan_in in double, which is 1/√fan_in up to the
/// last bit, and the bias's as 1/√fan_in: each is repeated here as written.
template <class T>
void init_linear(const LinearSlot& slot, T* flat, TorchGenerator& gen) {
  const double fan_in = static_cast<double>(slot.in);
  const double a = std::sqrt(5.0), gain = std::sqrt(2.0 / (1 + a * a));
  const double weight_bound = std::sqrt(3.0) * (gain / std::sqrt(fan_in));
  const double bias_bound = 1 / std::sqrt(fan_in);
  for (Eigen::Index i = slot.weight_offset(); i < slot.bias_offset(); ++i)
    flat[i] = static_cast<T>(gen.uniform(-weight_bound, weight_bound));
  for (Eigen::Index i = slot.bias_offset(); i < slot.end(); ++i) flat[i] = static_cast<T>(gen.uniform(-bias_bound, bias_bound));
}

/// out = X · Wᵀ + b, rows of X are examples. The bias is written first and the
/// product added onto it, so the GEMM needs no zeroed output. Float runs through
/// oneDNN (training's hot path); double (the gradient checks) through Eigen.
template <class T, class In, class Out>
void linear_forward(const LinearSlot& slot, const T* flat, const In& X, Out&& out) {
  out.rowwise() = slot.bias(flat);
  if constexpr (std::is_same_v<T, float>) {
    linalg::gemm<false, true>(out, X, slot.weight(flat), 1.0f);
  } else {
    out.noalias() += X * slot.weight(flat).transpose();
  }
}

/// Adds dW = dOutᵀ · X and db = Σ_rows dOut to the gradient buffer (which the
/// caller zeroes, as torch's zero_grad does; adam_step leaves it zeroed).
template <class T, class DOut, class In>
void add_linear_param_grads(const LinearSlot& slot, T* grad_flat, const DOut& d_out, const In& X) {
  if constexpr (std::is_same_v<T, float>) {
    linalg::gemm<true, false>(slot.weight(grad_flat), d_out, X, 1.0f);
  } else {
    slot.weight(grad_flat).noalias() += d_out.transpose() * X;
  }
  slot.bias(grad_flat) += d_out.colwise().sum();
}

}  // namespace emb::train
