#pragma once
/// @file metrics.h
/// Evaluation metrics with scikit-learn's definitions.
#include <string>
#include <vector>

#include "embetter/matrix.h"

namespace emb {

/// Mean silhouette coefficient with euclidean distances, as
/// sklearn.metrics.silhouette_score: for each point s = (b − a) / max(a, b),
/// a = mean distance to the other members of its cluster, b = the smallest
/// mean distance to another cluster; points in singleton clusters score 0.
/// Needs 2 ≤ number of labels ≤ n_samples − 1. O(n²) time, O(n) extra memory
/// per block of rows (distances are computed block by block, in double).
double silhouette_score(const Matrix& X, const std::vector<std::string>& labels);

/// Fraction of positions where the two label lists agree (same length, non-empty).
double accuracy_score(const std::vector<std::string>& y_true, const std::vector<std::string>& y_pred);

}  // namespace emb
