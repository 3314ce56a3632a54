#include "embetter/labels.h"

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "embetter/error.h"

namespace emb {
namespace {

bool parse_int(const std::string& s, std::int64_t& out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end;
}

// Sorted unique classes; numeric when every label parses as an integer.
std::vector<std::string> sorted_unique(const std::vector<std::string>& labels, bool& numeric) {
  std::vector<std::string> classes = labels;
  numeric = std::all_of(classes.begin(), classes.end(), [](const std::string& s) {
    std::int64_t v;
    return parse_int(s, v);
  });
  if (numeric) {
    std::sort(classes.begin(), classes.end(), [](const std::string& a, const std::string& b) {
      std::int64_t x = 0, y = 0;
      parse_int(a, x);
      parse_int(b, y);
      return x != y ? x < y : a < b;
    });
  } else {
    // Byte order of UTF-8 equals code-point order, which is numpy's order for str.
    std::sort(classes.begin(), classes.end());
  }
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  return classes;
}

}  // namespace

LabelEncoder& LabelEncoder::fit(const std::vector<std::string>& labels) {
  EMB_CHECK(!labels.empty(), "y: expected at least one label, got none");
  classes_ = sorted_unique(labels, numeric_);
  return *this;
}

LabelEncoder LabelEncoder::from_classes(const std::vector<std::string>& classes) {
  LabelEncoder enc;
  enc.fit(classes);
  return enc;
}

std::vector<std::int32_t> LabelEncoder::transform(const std::vector<std::string>& labels, const char* what) const {
  EMB_CHECK_AS(NotFittedError, fitted(), "LabelEncoder: transform called before fit");
  std::unordered_map<std::string, std::int32_t> index;
  for (std::size_t i = 0; i < classes_.size(); ++i) index.emplace(classes_[i], static_cast<std::int32_t>(i));
  std::vector<std::int32_t> out;
  out.reserve(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    auto it = index.find(labels[i]);
    if (it == index.end()) {
      std::string known;
      for (std::size_t k = 0; k < classes_.size() && k < 10; ++k) known += (k ? ", " : "") + classes_[k];
      throw InvalidArgument(detail::concat(what, ": unknown label '", labels[i], "' at position ", i,
                                           "; known classes: [", known, classes_.size() > 10 ? ", ..." : "", "]"));
    }
    out.push_back(it->second);
  }
  return out;
}

const std::string& LabelEncoder::inverse(std::int32_t index) const {
  EMB_CHECK(index >= 0 && static_cast<std::size_t>(index) < classes_.size(), "LabelEncoder: class index ", index,
            " out of range for ", classes_.size(), " classes");
  return classes_[static_cast<std::size_t>(index)];
}

}  // namespace emb
