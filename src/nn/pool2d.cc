#include "nn/pool2d.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>
#include <vector>

#include "embetter/error.h"
#include "linalg/omp_threads.h"

namespace emb::nn {
namespace {

using dnnl::memory;

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

std::size_t out_extent(const MaxPool2dSpec& s, std::size_t in) {
  EMB_CHECK(in + 2 * s.padding >= s.kernel, "MaxPool2d: an input of ", in, " pixels (padded by ", s.padding,
            " on each side) is smaller than the ", s.kernel, "-pixel window");
  return (in + 2 * s.padding - s.kernel) / s.stride + 1;
}

}  // namespace

struct MaxPool2d::Impl {
  struct Cached {
    dnnl::pooling_forward pool;
    memory::desc src, dst, scratchpad;
  };
  MaxPool2dSpec spec;
  std::mutex mutex;
  std::map<std::pair<std::size_t, std::size_t>, std::unique_ptr<Cached>> cache;

  const Cached& primitive(std::size_t height, std::size_t width);
};

const MaxPool2d::Impl::Cached& MaxPool2d::Impl::primitive(std::size_t height, std::size_t width) {
  std::lock_guard lock(mutex);
  auto& slot = cache[{height, width}];
  if (slot) return *slot;
  const auto& s = spec;
  const auto dim = [](std::size_t v) { return static_cast<memory::dim>(v); };
  auto c = std::make_unique<Cached>();
  c->src = memory::desc({1, dim(s.channels), dim(height), dim(width)}, memory::data_type::f32,
                        memory::format_tag::nhwc);
  c->dst = memory::desc({1, dim(s.channels), dim(out_extent(s, height)), dim(out_extent(s, width))},
                        memory::data_type::f32, memory::format_tag::nhwc);
  const dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max, c->src,
                                         c->dst, {dim(s.stride), dim(s.stride)}, {dim(s.kernel), dim(s.kernel)},
                                         {dim(s.padding), dim(s.padding)}, {dim(s.padding), dim(s.padding)});
  dnnl::primitive_attr attr;
  // Each call brings its own scratch memory: one primitive may run on several threads at once.
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const dnnl::pooling_forward::primitive_desc pd(desc, attr, cpu_engine());
  c->pool = dnnl::pooling_forward(pd);
  c->scratchpad = pd.scratchpad_desc();
  slot = std::move(c);
  return *slot;
}

MaxPool2d::MaxPool2d(const MaxPool2dSpec& spec) : impl_(std::make_unique<Impl>()) {
  EMB_CHECK(spec.channels > 0 && spec.kernel > 0 && spec.stride > 0, "MaxPool2d: channels (", spec.channels,
            "), kernel (", spec.kernel, ") and stride (", spec.stride, ") must be positive");
  EMB_CHECK(2 * spec.padding <= spec.kernel, "MaxPool2d: padding ", spec.padding,
            " is more than half the kernel (", spec.kernel, "), as PyTorch's MaxPool2d refuses too");
  impl_->spec = spec;
}

MaxPool2d::~MaxPool2d() = default;
MaxPool2d::MaxPool2d(MaxPool2d&&) noexcept = default;
MaxPool2d& MaxPool2d::operator=(MaxPool2d&&) noexcept = default;

const MaxPool2dSpec& MaxPool2d::spec() const noexcept { return impl_->spec; }

std::pair<std::size_t, std::size_t> MaxPool2d::output_size(std::size_t height, std::size_t width) const {
  return {out_extent(impl_->spec, height), out_extent(impl_->spec, width)};
}

void MaxPool2d::forward(const float* src, std::size_t height, std::size_t width, float* dst) const {
  const auto& s = impl_->spec;
  // A comparison per window cell: one thread unless the image is large (the
  // result does not depend on the thread count).
  linalg::use_omp_threads(static_cast<double>(out_extent(s, height) * out_extent(s, width) * s.channels) *
                          static_cast<double>(s.kernel * s.kernel));
  const auto& c = impl_->primitive(height, width);
  const auto& engine = cpu_engine();
  thread_local std::vector<std::uint8_t> scratch;
  scratch.resize(std::max<std::size_t>(c.scratchpad.get_size(), 1));
  const std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(c.src, engine, const_cast<float*>(src))},
                                             {DNNL_ARG_DST, memory(c.dst, engine, dst)},
                                             {DNNL_ARG_SCRATCHPAD, memory(c.scratchpad, engine, scratch.data())}};
  thread_local dnnl::stream stream(engine);
  c.pool.execute(stream, args);
  stream.wait();
}

}  // namespace emb::nn
