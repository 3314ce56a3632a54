#pragma once
// Axis ticks for the charts: matplotlib's MaxNLocator ("nice" steps of
// 1, 2, 2.5 or 5 × 10^k, at most `max_bins` intervals) and tick labels with
// just enough decimals to tell the ticks apart. Private to src/plot.
#include <string>
#include <vector>

namespace emb::plot {

/// Ticks within [lo, hi] (lo < hi) on a round step, at most max_bins + 1 of them.
std::vector<double> nice_ticks(double lo, double hi, int max_bins);

/// Labels for `ticks` with a common number of decimals, a true minus sign
/// (U+2212, as matplotlib draws it) and scientific notation for huge or tiny values.
std::vector<std::string> tick_labels(const std::vector<double>& ticks);

/// The view interval matplotlib's autoscale picks: the data range widened by
/// 5% on each side; a zero-width range becomes ±1 (or ±5% of the value) around it.
std::pair<double, double> padded_range(double lo, double hi);

}  // namespace emb::plot
