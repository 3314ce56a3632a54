#pragma once
// Labels from a JSON Lines file that may hold nothing but labels. emb::read_jsonl
// always reads a text field, which a labels file need not have, so the CLI
// reads the one field it needs here, with read_jsonl's rules: dotted paths
// (a key containing dots matches whole first), strings, numbers and booleans
// as their JSON text, blank lines skipped, errors naming file, line and field.
#include <filesystem>
#include <string>
#include <vector>

namespace emb::cli {

std::vector<std::string> read_jsonl_labels(const std::filesystem::path& path, const std::string& label_field);

/// Labels that say which row they label, as the explorer page's downloads do
/// ({"text": ..., "label": ..., "row": 12}): the row is a non-negative integer
/// at `row_field`. Lines whose label is "" (unlabelled rows) are skipped.
struct RowLabels {
  std::vector<std::size_t> rows;
  std::vector<std::string> labels;
};
RowLabels read_jsonl_row_labels(const std::filesystem::path& path, const std::string& label_field,
                                const std::string& row_field);

}  // namespace emb::cli
