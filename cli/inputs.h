#pragma once
// Reading and checking the CLI's input files. Every problem becomes an
// emb::InvalidArgument whose message starts with the option and the file
// ("--train x.npy: ..."), which main() turns into exit code 2.
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "embetter/matrix.h"

namespace emb::cli {

/// A float32/float64 C-order .npy matrix (1-D becomes one column), non-empty and finite.
Matrix load_embeddings(const std::filesystem::path& path, const std::string& option);

/// Labels from a .jsonl file (the value at `label_field`, which is then required)
/// or from a text file with one label per line (a final empty line is ignored).
std::vector<std::string> load_labels(const std::filesystem::path& path, const std::string& label_field,
                                     const std::string& option);

/// Labels of chosen rows of `X`, from a .jsonl file whose lines name their row
/// at `row_field` (the explorer page's downloads): the rows of X with a
/// non-empty label, in file order, and those labels. Throws when a row is
/// outside X, appears twice, or no line has a label.
struct SelectedRows {
  Matrix X;
  std::vector<std::string> labels;
};
SelectedRows load_row_labels(const Matrix& X, const std::string& x_what, const std::filesystem::path& path,
                             const std::string& label_field, const std::string& row_field, const std::string& option);

/// Throws unless X has one row per label.
void check_rows_match(const Matrix& X, const std::string& x_what, const std::vector<std::string>& labels,
                      const std::string& labels_what);

/// Throws unless the labels hold at least two distinct classes.
void check_two_classes(const std::vector<std::string>& labels, const std::string& labels_what);

/// Throws unless `path` ends with one of `extensions` (lower case, with the dot)
/// and its folder exists.
void check_output_path(const std::filesystem::path& path, const std::string& option,
                       std::initializer_list<const char*> extensions);

/// "OPTION PATH", the way messages name an input.
std::string describe(const std::string& option, const std::filesystem::path& path);

}  // namespace emb::cli
