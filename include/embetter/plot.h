#pragma once
/// @file plot.h
/// Scatter charts of a 2-D projection (e.g. PCA) coloured by label, drawn with
/// cairo to look like matplotlib's defaults: tab10 colours in class order,
/// small semi-transparent dots, ticked axes with round tick steps, axis labels,
/// a title and a legend box naming the classes.
#include <filesystem>
#include <string>
#include <vector>

#include "embetter/matrix.h"

namespace emb {

struct ScatterOptions {
  std::string title;
  std::string x_label = "PC 1";
  std::string y_label = "PC 2";
  /// Size of the picture in pixels (fonts are sized as matplotlib's at 100 dpi).
  int width = 800, height = 600;
};

/// Writes a scatter chart of `points` (n × 2; column 0 is x, column 1 is y),
/// one colour per class of `labels` (classes sorted as LabelEncoder sorts them).
/// The format follows the extension of `path`: ".png" or ".svg". The file is
/// written to a temporary file in the same folder, then renamed over `path`.
/// Throws InvalidArgument for a wrong shape, a row/label count mismatch,
/// non-finite values, an empty input, an unknown extension or a size outside
/// [100, 10000] pixels; Error when the file cannot be written.
void write_scatter(const std::filesystem::path& path, const Matrix& points,
                   const std::vector<std::string>& labels, const ScatterOptions& opts = {});

}  // namespace emb
