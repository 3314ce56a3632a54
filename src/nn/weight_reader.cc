#include "nn/weight_reader.h"

#include "embetter/error.h"
#include "io/safetensors.h"
#include "io/torch_checkpoint.h"

namespace emb::nn {

// The io module's memory-mapped, fully validated reader (a pytorch_model.bin
// is read into the same form); we add the prefix and error messages that say
// where an expected shape comes from.
struct WeightReader::File {
  io::SafetensorsFile st;
};

WeightReader::WeightReader(const std::filesystem::path& weights)
    : file_(std::make_unique<File>(File{io::open_weights_file(weights)})) {}

WeightReader::~WeightReader() = default;
WeightReader::WeightReader(WeightReader&&) noexcept = default;
WeightReader& WeightReader::operator=(WeightReader&&) noexcept = default;

const std::filesystem::path& WeightReader::path() const noexcept { return file_->st.path(); }

void WeightReader::choose_prefix(std::string_view probe, std::span<const std::string> prefixes) {
  std::string tried;
  for (const auto& p : prefixes) {
    if (file_->st.contains(p + std::string(probe))) {
      prefix_ = p;
      return;
    }
    tried += (tried.empty() ? "'" : ", '") + p + std::string(probe) + "'";
  }
  throw ModelLoadError(path().string() + ": no tensor named " + tried +
                       "; is this a checkpoint of the architecture config.json names?");
}

bool WeightReader::contains(std::string_view name) const { return file_->st.contains(prefix_ + std::string(name)); }

std::vector<std::int64_t> WeightReader::shape(std::string_view name, std::string_view why) const {
  const std::string full = prefix_ + std::string(name);
  EMB_CHECK_AS(ModelLoadError, file_->st.contains(full), path().string(), ": missing tensor '", full, "' (", why, ")");
  return file_->st.info(full).shape;
}

namespace {
std::vector<float> checked_floats(const io::SafetensorsFile& st, const std::string& full,
                                  const std::vector<std::int64_t>& expected, std::string_view why) {
  EMB_CHECK_AS(ModelLoadError, st.contains(full), st.path().string(), ": missing tensor '", full,
               "' (expected shape ", io::shape_text(expected), ", ", why, ")");
  const auto& info = st.info(full);
  EMB_CHECK_AS(ModelLoadError, info.shape == expected, st.path().string(), ": '", full, "' has shape ",
               io::shape_text(info.shape), "; expected ", io::shape_text(expected), " (", why, ")");
  return st.finite_floats(full);
}
}  // namespace

Matrix WeightReader::matrix(std::string_view name, std::size_t rows, std::size_t cols, std::string_view why) const {
  const std::vector<std::int64_t> expected{static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols)};
  return Matrix(rows, cols, checked_floats(file_->st, prefix_ + std::string(name), expected, why));
}

std::vector<float> WeightReader::vector(std::string_view name, std::size_t n, std::string_view why) const {
  return checked_floats(file_->st, prefix_ + std::string(name), {static_cast<std::int64_t>(n)}, why);
}

std::vector<float> WeightReader::tensor(std::string_view name, const std::vector<std::int64_t>& shape,
                                       std::string_view why) const {
  return checked_floats(file_->st, prefix_ + std::string(name), shape, why);
}

}  // namespace emb::nn
