#pragma once
/// @file explorer.h
/// The explorer page: one self-contained HTML file showing 2-D projections of
/// one or more embedding spaces side by side, for reading and bulk-labelling
/// texts in the browser (hover a point for its text, lasso a cluster, label
/// it, download the labels as JSONL or CSV). The page's JavaScript, styles and
/// data are inlined: no network request, works from file://. The page source
/// is src/plot/explorer_page/; docs/explorer.md describes its use.
#include <filesystem>
#include <string>
#include <vector>

#include "embetter/matrix.h"

namespace emb {

/// One projected space: a name shown above its chart (e.g. "raw", "tuned")
/// and its points, n × 2 (column 0 is x, column 1 is y), row i being text i.
struct ExplorerSpace {
  std::string name;
  Matrix points;
};

struct ExplorerOptions {
  /// Shown as the page's title and heading.
  std::string title = "embetter explorer";
};

/// The page as a string. `texts` are the n rows (UTF-8); `labels` is empty
/// (nothing labelled yet) or holds n labels, where "" means unlabelled;
/// `spaces` holds at least one space of n × 2 finite points, with distinct
/// non-empty names. Throws InvalidArgument naming the argument (and the row or
/// space) for an empty input, a count mismatch, a wrong shape, a non-finite
/// coordinate, invalid UTF-8 or a duplicate space name.
///
/// Data layout inside the page: a <script type="application/json"> element
/// holds {title, texts, classes, label_index, spaces: [{name, xy}]}, where
/// label_index[i] is -1 (unlabelled) or an index into the sorted `classes`,
/// and `xy` is the base64 of the points as little-endian float32, row-major.
/// Every '<', '>' and '&' of that JSON is written as a \u escape, so no text
/// can close the element or open a comment.
std::string render_explorer(const std::vector<std::string>& texts, const std::vector<std::string>& labels,
                            const std::vector<ExplorerSpace>& spaces, const ExplorerOptions& opts = {});

/// Writes render_explorer(...) to `path` atomically: a temporary file in the
/// same folder is renamed over `path` once complete. Throws as render_explorer,
/// and Error when the file cannot be written.
void write_explorer(const std::filesystem::path& path, const std::vector<std::string>& texts,
                    const std::vector<std::string>& labels, const std::vector<ExplorerSpace>& spaces,
                    const ExplorerOptions& opts = {});

}  // namespace emb
