#pragma once
// sentence-transformers' pair losses on a batch of embeddings, with their
// gradients, for body finetuning (issue 17).
//
// Each loss takes the two embedding matrices of a batch (row i of `a` and
// row i of `b` are the two texts of pair i, row-major n × d), returns the
// loss as PyTorch computes it in float32 (same formula, same clamps: each
// cosine agrees with torch's to a few ulps, so the loss does to ~1e-7
// relative, except where it subtracts nearly equal floats, as 1 − cos of a
// near-duplicate pair in ContrastiveLoss, where those ulps are relative to
// cos, not to the difference) and writes the loss's gradient
// with respect to each matrix into `grad_a` / `grad_b` (resized to the
// inputs' shapes), as torch's autograd would for `loss.backward()`.
//
// Caller errors (shapes that differ, an empty batch, labels that are not
// finite or out of range) throw emb::InvalidArgument naming the argument and
// the index. Non-finite embeddings are not checked: like torch, they give a
// NaN loss, which the training loop sees.
#include <span>

#include "embetter/body_finetuner.h"
#include "embetter/matrix.h"

namespace emb::train::body {

/// torch.nn.functional.cosine_similarity's eps (CosineSimilarityLoss, ContrastiveLoss).
inline constexpr float kCosineEps = 1e-8f;
/// torch.nn.functional.normalize's eps (sentence-transformers' cos_sim, used by MNRL).
inline constexpr float kNormalizeEps = 1e-12f;
/// sentence_transformers.losses.ContrastiveLoss's default margin.
inline constexpr float kContrastiveMargin = 0.5f;
/// sentence_transformers.losses.MultipleNegativesRankingLoss's default scale.
inline constexpr float kRankingScale = 20.0f;

/// CosineSimilarityLoss (SetFit's and SbertLearner's):
/// mean_i (cos(a_i, b_i) − labels_i)², with torch.cosine_similarity's cosine
/// (each norm clamped to at least kCosineEps). labels: n values in [0, 1].
float cosine_similarity_loss(const Matrix& a, const Matrix& b, std::span<const float> labels, Matrix& grad_a,
                             Matrix& grad_b);

/// ContrastiveLoss with its defaults (cosine distance d = 1 − cos, size_average):
/// mean_i 0.5·(y_i·d_i² + (1 − y_i)·relu(margin − d_i)²). labels: n values, each 0 or 1.
float contrastive_loss(const Matrix& a, const Matrix& b, std::span<const float> labels, Matrix& grad_a,
                       Matrix& grad_b, float margin = kContrastiveMargin);

/// MultipleNegativesRankingLoss (cos_sim, one direction "query_to_doc"):
/// mean_i −log softmax_j(scale · cos(anchors_i, candidates_j))[i].
/// `candidates` holds the n positives (row i pairs with anchor i) followed by
/// any number of blocks of n hard negatives, as sentence-transformers
/// concatenates its columns: k·n rows, k ≥ 1. Every candidate is a negative
/// for every other anchor.
float multiple_negatives_ranking_loss(const Matrix& anchors, const Matrix& candidates, Matrix& grad_anchors,
                                      Matrix& grad_candidates, float scale = kRankingScale);

/// The loss `loss` names, with its defaults; `labels` is ignored by
/// MultipleNegativesRanking (every pair is a positive).
float pair_loss(PairLoss loss, const Matrix& a, const Matrix& b, std::span<const float> labels, Matrix& grad_a,
                Matrix& grad_b);

}  // namespace emb::train::body
