#include "adamw.h"  // same folder; the test-facing binding includes this header by path

#include <cmath>
#include <utility>

#include "cpu/kernel_table.h"
#include "embetter/error.h"

// The Adam part of the update is the kernel table's Adam pass (train/adam.h's,
// the small tuners'), which also zeroes the gradient; the decoupled weight
// decay is a multiply before it, as torch does it: a separate `p.mul_` before
// the moments. The kernel's only departures from torch's float operations are
// a multiply by 1/√(1−β2ᵗ) for torch's divide and, on AVX2/AVX-512/NEON, a
// refined reciprocal for the final division: an ulp or two of the update,
// far below the update itself.

namespace emb::train::body {

AdamW::AdamW(std::vector<ParameterRef> params, AdamWHyper hyper) : params_(std::move(params)), hyper_(hyper) {
  EMB_CHECK(std::isfinite(hyper_.beta1) && hyper_.beta1 >= 0.0 && hyper_.beta1 < 1.0, "AdamW: beta1 is ",
            hyper_.beta1, "; expected a value in [0, 1)");
  EMB_CHECK(std::isfinite(hyper_.beta2) && hyper_.beta2 >= 0.0 && hyper_.beta2 < 1.0, "AdamW: beta2 is ",
            hyper_.beta2, "; expected a value in [0, 1)");
  EMB_CHECK(std::isfinite(hyper_.eps) && hyper_.eps >= 0.0f, "AdamW: eps is ", hyper_.eps,
            "; expected a finite value >= 0");
  EMB_CHECK(std::isfinite(hyper_.weight_decay) && hyper_.weight_decay >= 0.0, "AdamW: weight_decay is ",
            hyper_.weight_decay, "; expected a finite value >= 0");
  offsets_.reserve(params_.size());
  std::size_t total = 0;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const ParameterRef& p = params_[i];
    EMB_CHECK(p.values.size() == p.grad.size(), "AdamW: parameter ", i, " ('", p.name, "' in ", p.file, ") has ",
              p.values.size(), " values but a gradient of ", p.grad.size(), "; expected the same size");
    offsets_.push_back(total);
    total += p.values.size();
  }
  // Zero moments, as torch's lazily created state starts.
  m_.assign(total, 0.0f);
  v_.assign(total, 0.0f);
}

void AdamW::step(double lr) {
  EMB_CHECK(std::isfinite(lr) && lr >= 0.0, "AdamW::step: lr is ", lr, "; expected a finite value >= 0");
  ++steps_;
  const double t = static_cast<double>(steps_);
  const double bias_correction1 = 1.0 - std::pow(hyper_.beta1, t);
  const double bias_correction2 = 1.0 - std::pow(hyper_.beta2, t);
  const cpu::AdamCoefficients c{.w1 = static_cast<float>(1.0 - hyper_.beta1),
                                .b2 = static_cast<float>(hyper_.beta2),
                                .w2 = static_cast<float>(1.0 - hyper_.beta2),
                                .inv_bc2_sqrt = static_cast<float>(1.0 / std::sqrt(bias_correction2)),
                                .eps = hyper_.eps,
                                .neg_step_size = static_cast<float>(-(lr / bias_correction1))};
  // torch: param.mul_(1 - lr * weight_decay), the factor formed in double, applied as a float.
  const float decay = static_cast<float>(1.0 - lr * hyper_.weight_decay);
  const auto& kernels = cpu::kernels();
  for (std::size_t i = 0; i < params_.size(); ++i) {
    ParameterRef& p = params_[i];
    if (p.decay && hyper_.weight_decay != 0.0)
      for (float& x : p.values) x *= decay;
    kernels.adam(p.values.size(), p.values.data(), p.grad.data(), m_.data() + offsets_[i], v_.data() + offsets_[i],
                 c);
  }
}

}  // namespace emb::train::body
