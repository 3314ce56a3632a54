#include "plot/ticks.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <utility>

namespace emb::plot {

std::vector<double> nice_ticks(double lo, double hi, int max_bins) {
  const int bins = std::max(1, max_bins);
  const double range = hi - lo;
  // Work relative to an offset when the values sit far from zero, so that the
  // step search is not lost in rounding (matplotlib's scale_range).
  const double mean = 0.5 * (lo + hi);
  const double offset = std::abs(mean) / range < 100.0 ? 0.0
                        : std::copysign(std::pow(10.0, std::floor(std::log10(std::abs(mean)))), mean);
  const double scale = std::pow(10.0, std::floor(std::log10(range / bins)));
  const double vmin = lo - offset, vmax = hi - offset;
  constexpr std::array<double, 10> kSteps = {0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20};

  const double raw_step = range / bins;
  std::size_t first_large = 0;
  while (first_large + 1 < kSteps.size() && kSteps[first_large] * scale < raw_step) ++first_large;

  // Start from the smallest step that keeps within the bin budget; fall back
  // to smaller steps only while fewer than two ticks land inside the view.
  std::vector<double> ticks;
  for (std::size_t i = first_large + 1; i-- > 0;) {
    const double step = kSteps[i] * scale;
    const double tol = 1e-10 * step;
    ticks.clear();
    for (double k = std::ceil((vmin - tol) / step); k * step <= vmax + tol; k += 1.0) {
      ticks.push_back(k * step + offset);
    }
    if (ticks.size() >= 2) break;
    if (i == 0) break;
  }
  if (ticks.size() < 2) ticks = {lo, hi};
  // Snap values like 0.30000000000000004 (and -0) to the double nearest the
  // round decimal: every step is a multiple of scale/100, and dividing by an
  // exact power of ten rounds correctly where multiplying by 0.01 does not.
  const double unit = scale / 100.0;
  for (double& t : ticks) {
    double snapped;
    if (unit >= 1.0) {
      snapped = std::round(t / unit) * unit;
    } else {
      const double inverse = std::round(1.0 / unit);
      snapped = std::round(t * inverse) / inverse;
    }
    t = snapped == 0.0 ? 0.0 : snapped;
  }
  return ticks;
}

namespace {

std::string with_true_minus(std::string s) {
  if (!s.empty() && s[0] == '-') s.replace(0, 1, "\u2212");
  return s;
}

}  // namespace

std::vector<std::string> tick_labels(const std::vector<double>& ticks) {
  std::vector<std::string> labels;
  if (ticks.empty()) return labels;
  double largest = 0.0;
  for (double t : ticks) largest = std::max(largest, std::abs(t));
  const double step = ticks.size() > 1 ? std::abs(ticks[1] - ticks[0]) : std::max(largest, 1.0);
  char buf[64];
  if (largest >= 1e6 || (largest > 0 && largest < 1e-4)) {
    for (double t : ticks) {
      std::snprintf(buf, sizeof buf, "%.3g", t);
      labels.push_back(with_true_minus(buf));
    }
    return labels;
  }
  // The fewest decimals that write every tick exactly (to a millionth of the step).
  int decimals = 0;
  for (; decimals < 10; ++decimals) {
    const double unit = std::pow(10.0, -decimals);
    const bool exact = std::all_of(ticks.begin(), ticks.end(), [&](double t) {
      return std::abs(std::round(t / unit) * unit - t) <= 1e-6 * step;
    });
    if (exact) break;
  }
  for (double t : ticks) {
    std::snprintf(buf, sizeof buf, "%.*f", decimals, t == 0.0 ? 0.0 : t);
    labels.push_back(with_true_minus(buf));
  }
  return labels;
}

std::pair<double, double> padded_range(double lo, double hi) {
  if (hi - lo <= 0.0) {
    const double half = lo == 0.0 ? 1.0 : 0.05 * std::abs(lo);
    return {lo - half, hi + half};
  }
  const double pad = 0.05 * (hi - lo);
  return {lo - pad, hi + pad};
}

}  // namespace emb::plot
