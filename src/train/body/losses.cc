#include "losses.h"  // same folder; the test-facing binding includes this header by path

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "embetter/error.h"

// Forward values follow torch's float32 operations one by one (each division,
// product and clamp is a float operation here too); only the reductions (row
// norms, dot products, sums over the batch) run in double and are rounded
// once, where torch sums in float in its own order. That keeps us within a
// few ulps of torch. The backward passes are computed in double from the
// forward's float values and rounded once per element: torch's float
// backward is itself a few ulps from the exact gradient.

namespace emb::train::body {
namespace {

float row_norm(std::span<const float> x) {
  double sum = 0.0;
  for (float v : x) sum += static_cast<double>(v) * v;
  return static_cast<float>(std::sqrt(sum));
}

void check_batch(const char* fn, const char* a_name, const Matrix& a, const char* b_name, const Matrix& b) {
  EMB_CHECK(a.rows() > 0, fn, ": empty batch (", a_name, " has 0 rows); expected at least one pair");
  EMB_CHECK(a.cols() > 0 && a.cols() == b.cols(), fn, ": ", a_name, " is ", a.rows(), " x ", a.cols(), " and ",
            b_name, " is ", b.rows(), " x ", b.cols(), "; expected embeddings of the same non-zero width");
}

void check_pairs(const char* fn, const Matrix& a, const Matrix& b, std::span<const float> labels) {
  check_batch(fn, "a", a, "b", b);
  EMB_CHECK(a.rows() == b.rows(), fn, ": a has ", a.rows(), " rows but b has ", b.rows(),
            "; expected the same shape (row i of each is pair i)");
  EMB_CHECK(labels.size() == a.rows(), fn, ": labels has ", labels.size(), " values for ", a.rows(),
            " pairs; expected one label per pair");
}

/// The gradient with respect to x of Σ_k g_k · x_k / n, where n = max(‖x‖, eps)
/// is the clamped norm the forward divided by and r = ‖x‖. `through_norm`
/// says whether autograd differentiates n as ‖x‖ (adding −(g·x)/n² · x/r):
/// torch.cosine_similarity clamps its norms in place under NoGradGuard, so
/// the norm's gradient flows even when clamped; F.normalize's clamp_min is
/// recorded, so below eps it blocks it. torch's norm backward gives 0 at r = 0.
void normalized_row_backward(std::span<const float> x, float r, float n, bool through_norm,
                             std::span<const double> g, std::span<float> out) {
  double gx = 0.0;
  for (std::size_t k = 0; k < x.size(); ++k) gx += g[k] * x[k];
  const double dn = n;
  const double c = through_norm && r > 0.0f ? gx / (dn * dn * r) : 0.0;
  for (std::size_t k = 0; k < x.size(); ++k) out[k] = static_cast<float>(g[k] / dn - c * x[k]);
}

/// torch.cosine_similarity(a, b) row by row, and what its backward needs.
struct PairCosines {
  std::vector<float> cos, norm_a, clamped_a, norm_b, clamped_b;
};

PairCosines pair_cosines(const Matrix& a, const Matrix& b) {
  const std::size_t n = a.rows(), d = a.cols();
  PairCosines out{std::vector<float>(n), std::vector<float>(n), std::vector<float>(n), std::vector<float>(n),
                  std::vector<float>(n)};
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = a.row(i), y = b.row(i);
    out.norm_a[i] = row_norm(x);
    out.norm_b[i] = row_norm(y);
    out.clamped_a[i] = std::max(out.norm_a[i], kCosineEps);
    out.clamped_b[i] = std::max(out.norm_b[i], kCosineEps);
    // ((a / ‖a‖) * (b / ‖b‖)).sum(): both quotients and their product are float operations in torch.
    double dot = 0.0;
    for (std::size_t k = 0; k < d; ++k) dot += (x[k] / out.clamped_a[i]) * (y[k] / out.clamped_b[i]);
    out.cos[i] = static_cast<float>(dot);
  }
  return out;
}

/// Both inputs' gradients given dL/dcos_i for each pair.
void pair_cosines_backward(const Matrix& a, const Matrix& b, const PairCosines& c, std::span<const double> grad_cos,
                           Matrix& grad_a, Matrix& grad_b) {
  const std::size_t n = a.rows(), d = a.cols();
  grad_a.resize(n, d);
  grad_b.resize(n, d);
  std::vector<double> g(d);
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = a.row(i), y = b.row(i);
    for (std::size_t k = 0; k < d; ++k) g[k] = grad_cos[i] * (y[k] / c.clamped_b[i]);
    normalized_row_backward(x, c.norm_a[i], c.clamped_a[i], true, g, grad_a.row(i));
    for (std::size_t k = 0; k < d; ++k) g[k] = grad_cos[i] * (x[k] / c.clamped_a[i]);
    normalized_row_backward(y, c.norm_b[i], c.clamped_b[i], true, g, grad_b.row(i));
  }
}

}  // namespace

float cosine_similarity_loss(const Matrix& a, const Matrix& b, std::span<const float> labels, Matrix& grad_a,
                             Matrix& grad_b) {
  constexpr const char* kFn = "cosine_similarity_loss";
  check_pairs(kFn, a, b, labels);
  for (std::size_t i = 0; i < labels.size(); ++i)
    EMB_CHECK(std::isfinite(labels[i]) && labels[i] >= 0.0f && labels[i] <= 1.0f, kFn, ": labels[", i, "] is ",
              labels[i], "; expected a similarity score in [0, 1]");

  const std::size_t n = a.rows();
  const PairCosines c = pair_cosines(a, b);
  // MSELoss: ((cos − y)²).mean(); d/dcos_i = 2 (cos_i − y_i) / n.
  double sum = 0.0;
  std::vector<double> grad_cos(n);
  for (std::size_t i = 0; i < n; ++i) {
    const float diff = c.cos[i] - labels[i];
    sum += diff * diff;
    grad_cos[i] = 2.0 * diff / static_cast<double>(n);
  }
  pair_cosines_backward(a, b, c, grad_cos, grad_a, grad_b);
  return static_cast<float>(sum / static_cast<double>(n));
}

float contrastive_loss(const Matrix& a, const Matrix& b, std::span<const float> labels, Matrix& grad_a,
                       Matrix& grad_b, float margin) {
  constexpr const char* kFn = "contrastive_loss";
  check_pairs(kFn, a, b, labels);
  for (std::size_t i = 0; i < labels.size(); ++i)
    EMB_CHECK(labels[i] == 0.0f || labels[i] == 1.0f, kFn, ": labels[", i, "] is ", labels[i],
              "; expected 0 (dissimilar pair) or 1 (similar pair)");

  const std::size_t n = a.rows();
  const PairCosines c = pair_cosines(a, b);
  double sum = 0.0;
  std::vector<double> grad_cos(n);
  for (std::size_t i = 0; i < n; ++i) {
    const float y = labels[i];
    const float dist = 1.0f - c.cos[i];
    const float hinge = std::max(margin - dist, 0.0f);
    sum += 0.5f * (y * (dist * dist) + (1.0f - y) * (hinge * hinge));
    // d/ddist of the pair's term is y·dist − (1−y)·hinge (relu's gradient is 0 at 0); dist = 1 − cos.
    grad_cos[i] = -(static_cast<double>(y) * dist - (1.0 - y) * hinge) / static_cast<double>(n);
  }
  pair_cosines_backward(a, b, c, grad_cos, grad_a, grad_b);
  return static_cast<float>(sum / static_cast<double>(n));
}

float multiple_negatives_ranking_loss(const Matrix& anchors, const Matrix& candidates, Matrix& grad_anchors,
                                      Matrix& grad_candidates, float scale) {
  constexpr const char* kFn = "multiple_negatives_ranking_loss";
  check_batch(kFn, "anchors", anchors, "candidates", candidates);
  const std::size_t n = anchors.rows(), m = candidates.rows(), d = anchors.cols();
  EMB_CHECK(m >= n && m % n == 0, kFn, ": candidates has ", m, " rows for ", n,
            " anchors; expected a multiple of ", n, " (the positives, then blocks of hard negatives)");

  // cos_sim: F.normalize each row (norm clamped to eps, a float division), then one product.
  auto normalize = [](const Matrix& x, std::vector<float>& norms, Matrix& unit) {
    norms.resize(x.rows());
    unit.resize(x.rows(), x.cols());
    for (std::size_t i = 0; i < x.rows(); ++i) {
      norms[i] = row_norm(x.row(i));
      const float clamped = std::max(norms[i], kNormalizeEps);
      for (std::size_t k = 0; k < x.cols(); ++k) unit(i, k) = x(i, k) / clamped;
    }
  };
  std::vector<float> norm_a, norm_b;
  Matrix unit_a, unit_b;
  normalize(anchors, norm_a, unit_a);
  normalize(candidates, norm_b, unit_b);

  // scores = cos_sim · scale (float); loss_i = logsumexp_j(scores_i) − scores_ii, torch's
  // logsumexp being max + log Σ exp(s − max). grad_scores_ij = (softmax_ij − δ_ij) / n.
  std::vector<double> grad_cos(n * m);
  double sum = 0.0;
  std::vector<float> scores(m);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < m; ++j) {
      double dot = 0.0;
      for (std::size_t k = 0; k < d; ++k) dot += static_cast<double>(unit_a(i, k)) * unit_b(j, k);
      scores[j] = static_cast<float>(dot) * scale;
    }
    const float top = *std::max_element(scores.begin(), scores.end());
    double exp_sum = 0.0;
    for (float s : scores) exp_sum += std::exp(static_cast<double>(s - top));
    const float log_z = static_cast<float>(std::log(exp_sum)) + top;
    sum += scores[i] - log_z;
    for (std::size_t j = 0; j < m; ++j) {
      const double softmax = std::exp(static_cast<double>(scores[j]) - log_z);
      grad_cos[i * m + j] = scale * (softmax - (i == j ? 1.0 : 0.0)) / static_cast<double>(n);
    }
  }

  grad_anchors.resize(n, d);
  grad_candidates.resize(m, d);
  std::vector<double> g(d);
  for (std::size_t i = 0; i < n; ++i) {
    std::fill(g.begin(), g.end(), 0.0);
    for (std::size_t j = 0; j < m; ++j)
      for (std::size_t k = 0; k < d; ++k) g[k] += grad_cos[i * m + j] * unit_b(j, k);
    normalized_row_backward(anchors.row(i), norm_a[i], std::max(norm_a[i], kNormalizeEps),
                            norm_a[i] >= kNormalizeEps, g, grad_anchors.row(i));
  }
  for (std::size_t j = 0; j < m; ++j) {
    std::fill(g.begin(), g.end(), 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k = 0; k < d; ++k) g[k] += grad_cos[i * m + j] * unit_a(i, k);
    normalized_row_backward(candidates.row(j), norm_b[j], std::max(norm_b[j], kNormalizeEps),
                            norm_b[j] >= kNormalizeEps, g, grad_candidates.row(j));
  }
  return static_cast<float>(-sum / static_cast<double>(n));
}

float pair_loss(PairLoss loss, const Matrix& a, const Matrix& b, std::span<const float> labels, Matrix& grad_a,
                Matrix& grad_b) {
  switch (loss) {
    case PairLoss::CosineSimilarity:
      return cosine_similarity_loss(a, b, labels, grad_a, grad_b);
    case PairLoss::Contrastive:
      return contrastive_loss(a, b, labels, grad_a, grad_b);
    case PairLoss::MultipleNegativesRanking:
      return multiple_negatives_ranking_loss(a, b, grad_a, grad_b);
  }
  EMB_ASSERT(false);
  return 0.0f;
}

}  // namespace emb::train::body
