// Test-facing bindings of body finetuning's losses, AdamW, learning-rate
// schedule and gradient clipping (issue 17), so that tests/python/
// test_body_optim.py can compare them with torch in process. Argument
// conversion only. These pieces are internal (src/train/body), not part of
// the public API, so their headers are included by path.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "train/body/adamw.h"
#include "train/body/grad_clip.h"
#include "train/body/losses.h"
#include "train/body/lr_schedule.h"
#include "convert.h"
#include "embetter/error.h"

namespace emb::py_bind {
namespace {

using namespace train::body;

/// An array of any shape, flattened, with its shape for the way back.
struct Flat {
  std::vector<float> values;
  std::vector<py::ssize_t> shape;
};

Flat to_flat(const FloatArray& a) {
  return {std::vector<float>(a.data(), a.data() + a.size()), std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim())};
}

py::array_t<float> to_array(const std::vector<float>& values, const std::vector<py::ssize_t>& shape) {
  py::array_t<float> out(shape);
  std::copy(values.begin(), values.end(), out.mutable_data());
  return out;
}

std::vector<float> to_labels(const std::optional<FloatArray>& labels) {
  if (!labels) return {};
  EMB_CHECK(labels->ndim() == 1, "labels: expected a 1-D array, got ", labels->ndim(), " dimension(s)");
  return std::vector<float>(labels->data(), labels->data() + labels->size());
}

/// A reference to parameter i for AdamW or clipping; the name only appears in errors.
ParameterRef ref(std::size_t i, std::span<float> values, std::span<float> grad, bool decay) {
  ParameterRef p;
  p.name = "params[" + std::to_string(i) + "]";
  p.values = values;
  p.grad = grad;
  p.decay = decay;
  return p;
}

}  // namespace

void register_body_optim(py::module_& m) {
  m.def(
      "_body_loss",
      [](const std::string& kind, const FloatArray& a, const FloatArray& b, const std::optional<FloatArray>& labels) {
        const Matrix x = to_matrix(a, "a"), y = to_matrix(b, "b");
        const std::vector<float> l = to_labels(labels);
        Matrix grad_a, grad_b;
        float loss;
        if (kind == "cosine")
          loss = cosine_similarity_loss(x, y, l, grad_a, grad_b);
        else if (kind == "contrastive")
          loss = contrastive_loss(x, y, l, grad_a, grad_b);
        else if (kind == "mnrl")
          loss = multiple_negatives_ranking_loss(x, y, grad_a, grad_b);
        else
          throw InvalidArgument("kind: '" + kind + "' is not a loss; expected 'cosine', 'contrastive' or 'mnrl'");
        return py::make_tuple(loss, to_numpy(std::move(grad_a)), to_numpy(std::move(grad_b)));
      },
      py::arg("kind"), py::arg("a"), py::arg("b"), py::arg("labels") = py::none(),
      "(loss, d_loss/d_a, d_loss/d_b) of 'cosine' (CosineSimilarityLoss), 'contrastive' (ContrastiveLoss) "
      "or 'mnrl' (MultipleNegativesRankingLoss: b holds the positives, then any hard negatives; no labels).");

  m.def(
      "_body_adamw_steps",
      [](const std::vector<FloatArray>& params, const std::vector<std::vector<FloatArray>>& grads_per_step,
         const std::vector<bool>& decay, const std::vector<double>& lrs, double beta1, double beta2, float eps,
         double weight_decay, std::optional<float> max_grad_norm) {
        EMB_CHECK(grads_per_step.size() == lrs.size(), "grads_per_step has ", grads_per_step.size(),
                  " steps but lrs has ", lrs.size(), "; expected one learning rate per step");
        EMB_CHECK(decay.size() == params.size(), "decay has ", decay.size(), " flags for ", params.size(),
                  " params; expected one per parameter");
        std::vector<Flat> values;
        std::vector<std::vector<float>> grads;
        for (const auto& p : params) {
          values.push_back(to_flat(p));
          grads.emplace_back(values.back().values.size(), 0.0f);
        }
        std::vector<ParameterRef> refs;
        for (std::size_t i = 0; i < params.size(); ++i) refs.push_back(ref(i, values[i].values, grads[i], decay[i]));
        AdamW opt(refs, {.beta1 = beta1, .beta2 = beta2, .eps = eps, .weight_decay = weight_decay});
        for (std::size_t s = 0; s < lrs.size(); ++s) {
          EMB_CHECK(grads_per_step[s].size() == params.size(), "grads_per_step[", s, "] has ",
                    grads_per_step[s].size(), " gradients for ", params.size(), " params");
          for (std::size_t i = 0; i < params.size(); ++i) {
            const FloatArray& g = grads_per_step[s][i];
            EMB_CHECK(static_cast<std::size_t>(g.size()) == grads[i].size(), "grads_per_step[", s, "][", i,
                      "] has ", g.size(), " values; expected ", grads[i].size(), " (params[", i, "]'s size)");
            std::copy(g.data(), g.data() + g.size(), grads[i].begin());
          }
          if (max_grad_norm) clip_grad_norm(refs, *max_grad_norm);
          opt.step(lrs[s]);
        }
        py::list out;
        for (const Flat& v : values) out.append(to_array(v.values, v.shape));
        return out;
      },
      py::arg("params"), py::arg("grads_per_step"), py::arg("decay"), py::arg("lrs"), py::kw_only(),
      py::arg("beta1") = 0.9, py::arg("beta2") = 0.999, py::arg("eps") = 1e-8f, py::arg("weight_decay") = 0.01,
      py::arg("max_grad_norm") = py::none(),
      "The params after one AdamW step per entry of lrs, with that step's gradients (clipped to max_grad_norm "
      "first when given); decay[i] says whether params[i] is weight-decayed.");

  m.def("_body_lr", &warmup_linear_lr, py::arg("base_lr"), py::arg("step"), py::arg("warmup_steps"),
        py::arg("total_steps"), "transformers' get_linear_schedule_with_warmup: the lr of 0-based step `step`.");

  m.def(
      "_body_clip",
      [](const std::vector<FloatArray>& grads, float max_norm) {
        std::vector<Flat> flat;
        for (const auto& g : grads) flat.push_back(to_flat(g));
        std::vector<ParameterRef> refs;
        for (std::size_t i = 0; i < flat.size(); ++i) refs.push_back(ref(i, {}, flat[i].values, true));
        const float norm = clip_grad_norm(refs, max_norm);
        py::list out;
        for (const Flat& g : flat) out.append(to_array(g.values, g.shape));
        return py::make_tuple(norm, out);
      },
      py::arg("grads"), py::arg("max_norm") = 1.0f,
      "(total norm before clipping, the gradients clipped) as torch.nn.utils.clip_grad_norm_.");
}

}  // namespace emb::py_bind
