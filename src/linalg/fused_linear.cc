#include "linalg/fused_linear.h"

#include <oneapi/dnnl/dnnl.hpp>

#include "embetter/error.h"
#include "linalg/omp_threads.h"

namespace emb::linalg {

struct FusedLinear::Primitive {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::matmul matmul;
  dnnl::memory src, weights, bias, dst;
};

FusedLinear::FusedLinear(Eigen::Index rows, Eigen::Index in, Eigen::Index out, Activation activation,
                         Eigen::Index ld_x, Eigen::Index ld_out)
    : rows_(rows), in_(in), out_(out), ld_x_(ld_x), ld_out_(ld_out), activation_(activation),
      primitive_(std::make_unique<Primitive>()) {
  EMB_ASSERT(rows > 0 && in > 0 && out > 0 && ld_x >= in && ld_out >= out);
  using dnnl::memory;
  const auto f32 = memory::data_type::f32;
  // Wᵀ (in×out) is the row-major W (out×in) read column-major: strides {1, in}.
  const memory::desc src_md({rows, in}, f32, memory::dims{ld_x, 1});
  const memory::desc weights_md({in, out}, f32, memory::dims{1, in});
  const memory::desc bias_md({1, out}, f32, memory::dims{out, 1});
  const memory::desc dst_md({rows, out}, f32, memory::dims{ld_out, 1});
  dnnl::primitive_attr attr;
  if (activation == Activation::sigmoid) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_logistic, 0.0f, 0.0f);
    attr.set_post_ops(ops);
  }
  auto& p = *primitive_;
  try {
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, weights_md, bias_md, dst_md), attr, p.engine);
    p.matmul = dnnl::matmul(pd);
  } catch (const dnnl::error& e) {
    EMB_CHECK(false, "oneDNN could not build a ", rows, "×", in, " by ", in, "×", out, " matmul: ", e.what());
  }
  p.src = memory(src_md, p.engine, DNNL_MEMORY_NONE);
  p.weights = memory(weights_md, p.engine, DNNL_MEMORY_NONE);
  p.bias = memory(bias_md, p.engine, DNNL_MEMORY_NONE);
  p.dst = memory(dst_md, p.engine, DNNL_MEMORY_NONE);
}

FusedLinear::FusedLinear(FusedLinear&&) noexcept = default;
FusedLinear& FusedLinear::operator=(FusedLinear&&) noexcept = default;
FusedLinear::~FusedLinear() = default;

bool FusedLinear::fits(Eigen::Index rows, Eigen::Index in, Eigen::Index out, Activation activation,
                       Eigen::Index ld_x, Eigen::Index ld_out) const {
  return rows == rows_ && in == in_ && out == out_ && activation == activation_ && ld_x == ld_x_ &&
         ld_out == ld_out_;
}

void FusedLinear::operator()(const float* X, const float* W, const float* b, float* out) const {
  use_omp_threads(2.0 * static_cast<double>(rows_) * static_cast<double>(in_) * static_cast<double>(out_));
  auto& p = *primitive_;
  // oneDNN takes non-const handles but only writes DNNL_ARG_DST.
  p.src.set_data_handle(const_cast<float*>(X));
  p.weights.set_data_handle(const_cast<float*>(W));
  p.bias.set_data_handle(const_cast<float*>(b));
  p.dst.set_data_handle(out);
  p.matmul.execute(p.stream, {{DNNL_ARG_SRC, p.src}, {DNNL_ARG_WEIGHTS, p.weights}, {DNNL_ARG_BIAS, p.bias},
                              {DNNL_ARG_DST, p.dst}});
  p.stream.wait();
}

const FusedLinear& FusedLinearCache::get(Eigen::Index rows, Eigen::Index in, Eigen::Index out, Activation activation,
                                         Eigen::Index ld_x, Eigen::Index ld_out) {
  for (const auto& layer : layers_) {
    if (layer.fits(rows, in, out, activation, ld_x, ld_out)) return layer;
  }
  return layers_.emplace_back(rows, in, out, activation, ld_x, ld_out);
}

}  // namespace emb::linalg
