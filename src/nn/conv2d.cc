#include "nn/conv2d.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>

#include "embetter/error.h"
#include "linalg/omp_threads.h"

namespace emb::nn {
namespace {

using dnnl::memory;
using Dims = memory::dims;

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// Padding before and after along one axis.
std::pair<std::int64_t, std::int64_t> pads(const Conv2dSpec& s, std::size_t in) {
  const auto k = static_cast<std::int64_t>(s.kernel), st = static_cast<std::int64_t>(s.stride);
  if (s.padding == Padding::Symmetric) {
    const std::int64_t p = ((st - 1) + (k - 1)) / 2;
    return {p, p};
  }
  const auto n = static_cast<std::int64_t>(in);
  const std::int64_t total = std::max<std::int64_t>((((n + st - 1) / st) - 1) * st + k - n, 0);
  return {total / 2, total - total / 2};
}

std::size_t out_extent(const Conv2dSpec& s, std::size_t in) {
  const auto [before, after] = pads(s, in);
  const auto span = static_cast<std::int64_t>(in) + before + after - static_cast<std::int64_t>(s.kernel);
  EMB_CHECK(span >= 0, "Conv2d: an input of ", in, " pixels is smaller than the ", s.kernel, "-pixel kernel");
  return static_cast<std::size_t>(span / static_cast<std::int64_t>(s.stride) + 1);
}

}  // namespace

struct Conv2d::Impl {
  struct Cached {
    dnnl::convolution_forward conv;
    memory weights, bias;
    memory::desc src, dst, scratchpad;
    std::size_t out_h = 0, out_w = 0;
  };
  Conv2dSpec spec;
  std::vector<float> weights, bias;
  std::mutex mutex;
  std::map<std::pair<std::size_t, std::size_t>, std::unique_ptr<Cached>> cache;

  const Cached& primitive(std::size_t height, std::size_t width);
};

const Conv2d::Impl::Cached& Conv2d::Impl::primitive(std::size_t height, std::size_t width) {
  std::lock_guard lock(mutex);
  auto& slot = cache[{height, width}];
  if (slot) return *slot;
  const auto& s = spec;
  auto c = std::make_unique<Cached>();
  c->out_h = out_extent(s, height);
  c->out_w = out_extent(s, width);
  const auto i64 = [](std::size_t v) { return static_cast<memory::dim>(v); };
  const auto [top, bottom] = pads(s, height);
  const auto [left, right] = pads(s, width);
  c->src = memory::desc({1, i64(s.in_channels), i64(height), i64(width)}, memory::data_type::f32,
                        memory::format_tag::nhwc);
  c->dst = memory::desc({1, i64(s.out_channels), i64(c->out_h), i64(c->out_w)}, memory::data_type::f32,
                        memory::format_tag::nhwc);
  const bool grouped = s.groups > 1;
  const Dims wdims = grouped ? Dims{i64(s.groups), i64(s.out_channels / s.groups), i64(s.in_channels / s.groups),
                                    i64(s.kernel), i64(s.kernel)}
                             : Dims{i64(s.out_channels), i64(s.in_channels), i64(s.kernel), i64(s.kernel)};
  const memory::desc user_w(wdims, memory::data_type::f32,
                            grouped ? memory::format_tag::goihw : memory::format_tag::oihw);
  const memory::desc any_w(wdims, memory::data_type::f32, memory::format_tag::any);
  const memory::desc bias_md({i64(s.out_channels)}, memory::data_type::f32, memory::format_tag::x);
  const dnnl::convolution_forward::desc desc(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, c->src, any_w,
      bias.empty() ? memory::desc() : bias_md, c->dst, {i64(s.stride), i64(s.stride)}, {top, left}, {bottom, right});
  dnnl::post_ops ops;
  if (s.accumulate) ops.append_sum(1.0f);
  if (s.activation == ConvActivation::ReLU) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  if (s.activation == ConvActivation::ReLU6) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, 0.0f, 6.0f);
  if (s.activation == ConvActivation::HardSwish)
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_hardswish, 0.0f, 0.0f);
  if (s.activation == ConvActivation::SiLU) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_swish, 1.0f, 0.0f);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  // Each call brings its own scratch memory: one primitive may run on several
  // threads at once.
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const auto& engine = cpu_engine();
  const dnnl::convolution_forward::primitive_desc pd(desc, attr, engine);
  c->conv = dnnl::convolution_forward(pd);
  c->scratchpad = pd.scratchpad_desc();
  memory given(user_w, engine, weights.data());
  if (pd.weights_desc() == user_w) {
    c->weights = given;
  } else {
    c->weights = memory(pd.weights_desc(), engine);
    dnnl::stream stream(engine);
    dnnl::reorder(given, c->weights).execute(stream, given, c->weights);
    stream.wait();
  }
  if (!bias.empty()) c->bias = memory(bias_md, engine, bias.data());
  slot = std::move(c);
  return *slot;
}

Conv2d::Conv2d(const Conv2dSpec& spec, std::vector<float> weights, std::vector<float> bias)
    : impl_(std::make_unique<Impl>()) {
  EMB_CHECK(spec.in_channels > 0 && spec.out_channels > 0 && spec.kernel > 0 && spec.stride > 0 && spec.groups > 0,
            "Conv2d: channels, kernel, stride and groups must be positive");
  EMB_CHECK(spec.in_channels % spec.groups == 0 && spec.out_channels % spec.groups == 0, "Conv2d: ",
            spec.in_channels, " → ", spec.out_channels, " channels do not split into ", spec.groups, " groups");
  EMB_CHECK(weights.size() == spec.out_channels * (spec.in_channels / spec.groups) * spec.kernel * spec.kernel,
            "Conv2d: ", weights.size(), " weights for ", spec.out_channels, " × ", spec.in_channels / spec.groups,
            " × ", spec.kernel, " × ", spec.kernel);
  EMB_CHECK(bias.empty() || bias.size() == spec.out_channels, "Conv2d: ", bias.size(), " biases for ",
            spec.out_channels, " channels");
  impl_->spec = spec;
  impl_->weights = std::move(weights);
  impl_->bias = std::move(bias);
}

Conv2d::~Conv2d() = default;
Conv2d::Conv2d(Conv2d&&) noexcept = default;
Conv2d& Conv2d::operator=(Conv2d&&) noexcept = default;

const Conv2dSpec& Conv2d::spec() const noexcept { return impl_->spec; }

std::pair<std::size_t, std::size_t> Conv2d::output_size(std::size_t height, std::size_t width) const {
  return {out_extent(impl_->spec, height), out_extent(impl_->spec, width)};
}

void Conv2d::forward(const float* src, std::size_t height, std::size_t width, float* dst) const {
  const auto& s = impl_->spec;
  // Before the primitive is made: oneDNN plans its work for the thread count
  // in effect then, and a plan for another count would sum in another order.
  linalg::use_omp_threads(2.0 * static_cast<double>(out_extent(s, height) * out_extent(s, width) * s.out_channels) *
                          static_cast<double>(s.in_channels / s.groups * s.kernel * s.kernel));
  const auto& c = impl_->primitive(height, width);
  const auto& engine = cpu_engine();
  memory src_mem(c.src, engine, const_cast<float*>(src));
  memory dst_mem(c.dst, engine, dst);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_WEIGHTS, c.weights}, {DNNL_ARG_DST, dst_mem}};
  if (!impl_->bias.empty()) args.emplace(DNNL_ARG_BIAS, c.bias);
  thread_local std::vector<std::uint8_t> scratch;
  scratch.resize(std::max<std::size_t>(c.scratchpad.get_size(), 1));
  args.emplace(DNNL_ARG_SCRATCHPAD, memory(c.scratchpad, engine, scratch.data()));
  thread_local dnnl::stream stream(engine);
  c.conv.execute(stream, args);
  stream.wait();
}

}  // namespace emb::nn
