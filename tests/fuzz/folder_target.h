#pragma once
// Targets whose input is one file of a model folder: a copy of a committed
// tiny folder (tests/fuzz/models) in the scratch folder, where the first byte
// picks which file the rest of the input replaces. The file is put back
// after each run, so every input meets an otherwise valid folder.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz_support.h"

namespace emb::fuzz {

class FolderTarget {
 public:
  /// `model` names a folder under tests/fuzz/models; `files` are the
  /// replaceable files, in the order make_corpus.py gives them numbers.
  FolderTarget(const std::string& model, std::vector<std::string> files);

  const std::filesystem::path& folder() const { return folder_; }

  /// Writes the input's file, runs `load` on the folder, then restores it.
  template <class Load>
  void run(const std::uint8_t* data, std::size_t size, Load&& load) {
    if (!base_checked_) {
      // Fuzzing a folder that no longer loads (a format changed) would only
      // ever reach its first error.
      base_checked_ = true;
      try {
        load();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz: the unchanged folder %s does not load: %s\n", folder_.c_str(), e.what());
        std::abort();
      }
    }
    if (size == 0) return;
    const std::size_t which = data[0] % files_.size();
    const auto path = folder_ / files_[which];
    write_bytes(path, as_text(data + 1, size - 1));
    expect_typed_errors(load);
    write_bytes(path, originals_[which]);
  }

 private:
  std::filesystem::path folder_;
  std::vector<std::string> files_;
  std::vector<std::string> originals_;
  bool base_checked_ = false;
};

}  // namespace emb::fuzz
