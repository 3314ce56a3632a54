#include "inputs.h"

#include <algorithm>
#include <set>

#include "embetter/error.h"
#include "embetter/jsonl.h"
#include "jsonl_labels.h"
#include "embetter/npy.h"

namespace emb::cli {
namespace fs = std::filesystem;

std::string describe(const std::string& option, const fs::path& path) { return option + " " + path.string(); }

namespace {

std::string lower_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

/// "--train x.npy: <problem>" from a library message that may or may not start with the path.
InvalidArgument with_option(const std::string& option, const fs::path& path, const std::string& message) {
  const std::string file = path.string();
  if (message.rfind(file, 0) == 0) return InvalidArgument(option + " " + message);
  return InvalidArgument(describe(option, path) + ": " + message);
}

void check_readable_file(const fs::path& path, const std::string& option) {
  std::error_code ec;
  EMB_CHECK(fs::exists(path, ec), describe(option, path), ": no such file");
  EMB_CHECK(!fs::is_directory(path, ec), describe(option, path), ": is a folder; expected a file");
}

}  // namespace

Matrix load_embeddings(const fs::path& path, const std::string& option) {
  check_readable_file(path, option);
  EMB_CHECK(lower_extension(path) == ".npy", describe(option, path), ": expected a .npy file (float32 or float64, C order)");
  Matrix m;
  try {
    m = read_npy(path);
  } catch (const Error& e) {
    // The reader names the file and the problem; add which argument it was.
    throw with_option(option, path, e.what());
  }
  EMB_CHECK(m.rows() > 0 && m.cols() > 0, describe(option, path), ": holds no values (shape [", m.rows(), ", ",
            m.cols(), "])");
  EMB_CHECK(m.all_finite(), describe(option, path), ": holds NaN or infinite values");
  return m;
}

std::vector<std::string> load_labels(const fs::path& path, const std::string& label_field, const std::string& option) {
  check_readable_file(path, option);
  std::vector<std::string> labels;
  const std::string ext = lower_extension(path);
  try {
    if (ext == ".jsonl" || ext == ".ndjson") {
      EMB_CHECK(!label_field.empty(), path.string(), ": a .jsonl file needs --label-field to say which field holds the label");
      labels = read_jsonl_labels(path, label_field);
    } else {
      EMB_CHECK(label_field.empty(), path.string(), ": --label-field applies to .jsonl files only; this file is read as one label per line");
      labels = read_lines(path);
      for (std::size_t i = 0; i < labels.size(); ++i) {
        EMB_CHECK(!labels[i].empty(), path.string(), ": line ", i + 1, " is empty; expected one label per line");
      }
    }
  } catch (const Error& e) {
    throw with_option(option, path, e.what());
  }
  EMB_CHECK(!labels.empty(), describe(option, path), ": holds no labels");
  return labels;
}

SelectedRows load_row_labels(const Matrix& X, const std::string& x_what, const fs::path& path,
                             const std::string& label_field, const std::string& row_field, const std::string& option) {
  check_readable_file(path, option);
  const std::string ext = lower_extension(path);
  EMB_CHECK(ext == ".jsonl" || ext == ".ndjson", describe(option, path),
            ": --row-field needs a .jsonl file (one {\"label\": ..., \"", row_field, "\": ...} object per line)");
  EMB_CHECK(!label_field.empty(), describe(option, path), ": --row-field needs --label-field too (e.g. --label-field label)");
  RowLabels read;
  try {
    read = read_jsonl_row_labels(path, label_field, row_field);
  } catch (const Error& e) {
    throw with_option(option, path, e.what());
  }
  EMB_CHECK(!read.rows.empty(), describe(option, path), ": no line has a label (every '", label_field,
            "' is empty); label some rows first");
  std::vector<char> seen(X.rows(), 0);
  for (std::size_t row : read.rows) {
    EMB_CHECK(row < X.rows(), describe(option, path), ": '", row_field, "' ", row, " is past the last row of ", x_what,
              " (", X.rows(), " rows); were the labels made for other embeddings?");
    EMB_CHECK(!seen[row], describe(option, path), ": row ", row, " is labelled twice; expected one label per row");
    seen[row] = 1;
  }
  return {X.select_rows(read.rows), std::move(read.labels)};
}

void check_rows_match(const Matrix& X, const std::string& x_what, const std::vector<std::string>& labels,
                      const std::string& labels_what) {
  EMB_CHECK(X.rows() == labels.size(), x_what, " has ", X.rows(), " rows but ", labels_what, " has ", labels.size(),
            " labels; expected one label per row");
}

void check_two_classes(const std::vector<std::string>& labels, const std::string& labels_what) {
  const std::set<std::string> classes(labels.begin(), labels.end());
  EMB_CHECK(classes.size() >= 2, labels_what, ": only one class ('", *classes.begin(),
            "'); training needs at least two classes");
}

void check_output_path(const fs::path& path, const std::string& option, std::initializer_list<const char*> extensions) {
  const std::string ext = lower_extension(path);
  std::string expected;
  bool ok = false;
  for (const char* e : extensions) {
    ok = ok || ext == e;
    expected += (expected.empty() ? "" : " or ") + std::string(e);
  }
  EMB_CHECK(ok, describe(option, path), ": expected a file name ending in ", expected);
  const fs::path folder = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::error_code ec;
  EMB_CHECK(fs::is_directory(folder, ec), describe(option, path), ": the folder ", folder.string(), " does not exist");
}

}  // namespace emb::cli
