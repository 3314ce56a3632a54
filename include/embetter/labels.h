#pragma once
/// @file labels.h
/// LabelEncoder as in scikit-learn: classes are the sorted unique labels.
/// Labels are carried as strings; when every label is an integer (e.g. "0",
/// "1", "-3") they sort numerically, as numpy would sort an integer array.
#include <cstdint>
#include <string>
#include <vector>

namespace emb {

class LabelEncoder {
 public:
  LabelEncoder() = default;
  /// Learns the classes from `labels`; throws InvalidArgument if empty.
  LabelEncoder& fit(const std::vector<std::string>& labels);
  /// Starts from a known class list (de-duplicated and sorted the same way).
  static LabelEncoder from_classes(const std::vector<std::string>& classes);
  /// Index of each label in classes(); an unknown label throws InvalidArgument naming `what`.
  std::vector<std::int32_t> transform(const std::vector<std::string>& labels, const char* what = "y") const;
  std::vector<std::int32_t> fit_transform(const std::vector<std::string>& labels) {
    return fit(labels).transform(labels);
  }
  const std::string& inverse(std::int32_t index) const;

  const std::vector<std::string>& classes() const noexcept { return classes_; }
  std::size_t num_classes() const noexcept { return classes_.size(); }
  bool fitted() const noexcept { return !classes_.empty(); }
  /// True when the classes sorted as integers.
  bool numeric() const noexcept { return numeric_; }

 private:
  std::vector<std::string> classes_;
  bool numeric_ = false;
};

}  // namespace emb
